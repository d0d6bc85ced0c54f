// The decoded message as a collapsible tree. Selecting a field reports its JSON path
// (the hex view highlights its bytes); each field can copy its value or its path.
// Long lists show childPageSize entries at a time, and bodies over 1 MB start closed.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { JsonValue } from '../../../model/types.ts';
import { childPath } from '../../../model/json-path.ts';
import { childCount, childPageSize, childrenOf, clipboardText, isContainer, preview, scalarKind, startsOpen } from '../model/json-tree.ts';
import { copyText } from '../services/clipboard.ts';
import { showToast } from './Toast.tsx';

interface TreeProps {
  value: JsonValue;
  /** Size of the body the JSON came from, to decide what starts open. */
  bodyBytes: number;
  selectedPath: string | null;
  onSelect: (path: string) => void;
  /** Paths that answered differently in a replay, marked in the tree. */
  marks?: ReadonlyMap<string, 'changed' | 'added' | 'removed'>;
}

export function JsonTree(props: TreeProps) {
  const entries = childrenOf(props.value);
  if (!isContainer(props.value) || entries.length === 0) {
    return <div class="json-tree empty-note">{isContainer(props.value) ? 'Empty message: every field at its default.' : preview(props.value)}</div>;
  }
  const isArray = Array.isArray(props.value);
  return (
    <div class="json-tree" role="tree">
      {entries.map(([key, child]) => (
        <JsonNode key={key} name={key} value={child} path={childPath('', key, isArray)} depth={0} tree={props} />
      ))}
    </div>
  );
}

interface NodeProps {
  name: string | number;
  value: JsonValue;
  path: string;
  depth: number;
  tree: TreeProps;
}

function isDescendant(path: string, of: string): boolean {
  return path.length > of.length && path.startsWith(of) && (path[of.length] === '.' || path[of.length] === '[');
}

async function copy(text: string, what: string) {
  showToast((await copyText(text)) ? `Copied ${what}` : `The browser refused to copy ${what}`);
}

function JsonNode({ name, value, path, depth, tree }: NodeProps) {
  const container = isContainer(value);
  const count = childCount(value);
  const [open, setOpen] = useState(() => container && startsOpen(depth, tree.bodyBytes, count));
  const [shown, setShown] = useState(childPageSize);
  const rowRef = useRef<HTMLDivElement>(null);
  const selected = tree.selectedPath === path;
  const mark = tree.marks?.get(path);

  // A field selected from the hex view must become visible: open its ancestors.
  const selectedBelow = tree.selectedPath !== null && isDescendant(tree.selectedPath, path);
  useEffect(() => {
    if (!selectedBelow) return;
    setOpen(true);
    const match = Array.isArray(value) ? /^\[(\d+)\]/.exec(tree.selectedPath!.slice(path.length)) : null;
    if (match) setShown((s) => Math.max(s, Number(match[1]) + 1));
  }, [selectedBelow, tree.selectedPath]);
  useEffect(() => {
    if (selected) rowRef.current?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  const label = typeof name === 'number' ? <span class="json-index">{name}</span> : <span class="json-key">{name}</span>;
  const kind = container ? null : scalarKind(value);
  return (
    <div class="json-node" role="treeitem" aria-expanded={container ? open : undefined}>
      <div
        ref={rowRef}
        class={`json-row${selected ? ' selected' : ''}${mark ? ` diff-${mark}` : ''}`}
        style={{ '--depth': depth }}
        data-path={path}
        onClick={() => tree.onSelect(path)}
      >
        {container ? (
          <button
            class="json-caret"
            aria-label={open ? 'Collapse' : 'Expand'}
            onClick={(event) => {
              event.stopPropagation();
              setOpen(!open);
            }}
          >
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span class="json-caret-space" />
        )}
        {label}
        <span class="json-colon">:</span>
        {mark ? <span class="diff-tag">{mark}</span> : null}
        {container ? (
          <span class="json-preview">{open ? (Array.isArray(value) ? `[${count}]` : `{${count}}`) : preview(value)}</span>
        ) : (
          <span class={`json-value json-${kind}`}>{preview(value, 400)}</span>
        )}
        <span class="json-actions">
          <button
            title="Copy value"
            onClick={(event) => {
              event.stopPropagation();
              void copy(clipboardText(value), 'the value');
            }}
          >
            copy
          </button>
          <button
            title="Copy path"
            onClick={(event) => {
              event.stopPropagation();
              void copy(path, `path ${path}`);
            }}
          >
            path
          </button>
        </span>
      </div>
      {container && open ? (
        <div role="group">
          {childrenOf(value, shown).map(([key, child]) => (
              <JsonNode key={key} name={key} value={child} path={childPath(path, key, Array.isArray(value))} depth={depth + 1} tree={tree} />
            ))}
          {count > shown ? (
            <button class="json-more" style={{ '--depth': depth + 1 }} onClick={() => setShown(shown + childPageSize)}>
              Show {Math.min(childPageSize, count - shown)} more of {count - shown} remaining
            </button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
