// Small pieces shared by the list and the detail pane: the status and error badges
// and the "service.operation" label.

import type { ExchangeSummary } from '../../../model/types.ts';
import { shortErrorName } from '../../../model/server-errors.ts';
import { operationLabel } from '../../../model/format.ts';

type Head = Pick<ExchangeSummary, 'kind' | 'service' | 'operation' | 'path' | 'status' | 'state' | 'errors'>;

/** The call's service.operation, else what names the exchange: a WebSocket, or its path. */
export function exchangeLabel(head: Head): string {
  return operationLabel(head) ?? (head.kind === 'ws' ? 'WebSocket' : head.path);
}

export function statusClass(head: Head): string {
  if (head.state === 'pending') return 'pending';
  if (head.state === 'error' || head.state === 'aborted' || head.state === 'interrupted') return 'failed';
  if (head.status === null) return 'pending';
  if (head.status >= 500) return 's5';
  if (head.status >= 400) return 's4';
  if (head.status >= 300 && head.status !== 304) return 's3';
  return 's2';
}

export function statusText(head: Head): string {
  if (head.state === 'aborted' || head.state === 'interrupted') return head.state;
  if (head.state === 'error') return head.status === null ? 'failed' : String(head.status);
  if (head.status === null) return head.state === 'pending' ? '…' : '';
  return String(head.status);
}

export function StatusBadge({ summary }: { summary: Head }) {
  return <span class={`status ${statusClass(summary)}`}>{statusText(summary)}</span>;
}


/**
 * One chip per error; `compact` (a list cell) shows the first by name and the others as
 * "+N". A chip cut short ends in "…", and the names are in the title.
 */
export function ErrorChips({ errors, compact = false }: { errors: string[]; compact?: boolean }) {
  if (errors.length === 0) return null;
  const shown = compact ? errors.slice(0, 1) : errors;
  const hidden = errors.length - shown.length;
  return (
    <span class="error-chips" title={errors.join('\n')}>
      {shown.map((error) => (
        <span key={error} class="chip error">
          {shortErrorName(error)}
        </span>
      ))}
      {hidden > 0 ? <span class="chip error more">+{hidden}</span> : null}
    </span>
  );
}
