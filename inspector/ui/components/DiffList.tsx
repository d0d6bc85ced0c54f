// Field differences as lines, "path changed: before → after": a replay's answer against
// the original's, and what a rule sent on against what it was given.

import type { Difference } from '../../../model/types.ts';
import { diffValue } from '../model/replay.ts';

export function DiffList({ diff }: { diff: readonly Difference[] }) {
  if (diff.length === 0) return null;
  return (
    <ul class="diff-list">
      {diff.map((d) => (
        <li key={d.path} class={`diff-${d.change}`}>
          <code>{d.path}</code> {d.change}: {diffValue(d.before, d.change !== 'added')} → {diffValue(d.after, d.change !== 'removed')}
        </li>
      ))}
    </ul>
  );
}
