// One message body (a request, a response or a WebSocket frame): the decoded JSON
// tree above the hex dump, linked both ways through the codec's field spans.

import { useMemo, useState } from 'preact/hooks';
import type { DecodeResult, FieldSpans } from '../../../model/types.ts';
import { base64ToBytes } from '../model/hex-dump.ts';
import { SpanIndex } from '../../../model/json-path.ts';
import { approximateSize, collapseAboveBytes } from '../model/json-tree.ts';
import { formatSize } from '../../../model/format.ts';
import { JsonTree } from './JsonTree.tsx';
import { HexDump } from './HexDump.tsx';

interface MessageViewProps {
  /** base64, as REST sends it. */
  body: string;
  decoded: DecodeResult | null;
  truncated: boolean;
  /** Total size on the wire when known (a truncated body holds fewer bytes). */
  wireSize?: number;
  label: string;
  /** Paths that answered differently in a replay. */
  marks?: ReadonlyMap<string, 'changed' | 'added' | 'removed'>;
}

const NO_SPANS: FieldSpans = { paths: [], ranges: [] };

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** The body as text when it is valid UTF-8 without control characters, for non-protobuf bodies. */
function asText(bytes: Uint8Array): string | null {
  if (bytes.length === 0 || bytes.length > collapseAboveBytes) return null;
  try {
    const text = textDecoder.decode(bytes);
    return /[\u0000-\u0008\u000e-\u001f]/.test(text) ? null : text;
  } catch {
    return null;
  }
}

export function MessageView({ body, decoded, truncated, wireSize, label, marks }: MessageViewProps) {
  const bytes = useMemo(() => base64ToBytes(body), [body]);
  const spans = useMemo(() => new SpanIndex(decoded?.spans ?? NO_SPANS), [decoded]);
  const jsonSize = useMemo(() => (decoded ? approximateSize(decoded.json) : 0), [decoded]);
  const [selectedPath, setSelectedPath] = useState<string | null>(null);
  const highlight = selectedPath === null ? null : spans.forPath(selectedPath);
  const text = useMemo(() => (decoded ? null : asText(bytes)), [decoded, bytes]);
  const problems = decoded?.problems ?? [];

  return (
    <div class="message-view">
      <div class="message-meta">
        <span class="message-label">{label}</span>
        <span>{formatSize(bytes.length)}</span>
        {truncated ? (
          <span class="badge warn" title="Bodies above --max-body are forwarded whole but recorded only in part">
            recorded in part{wireSize ? ` (${formatSize(wireSize)} on the wire)` : ''}
          </span>
        ) : null}
        {jsonSize > collapseAboveBytes ? <span class="badge">large: opened on demand</span> : null}
        {selectedPath !== null ? (
          <span class="message-selection">
            <code>{selectedPath}</code>
            {highlight ? ` bytes ${highlight.start}–${highlight.end - 1}` : ' has no bytes of its own'}
          </span>
        ) : null}
      </div>
      {problems.length > 0 ? (
        <ul class="decode-problems">
          {problems.map((problem, i) => (
            <li key={i}>
              <button class="link" onClick={() => setSelectedPath(problem.path ?? null)} title="Show where in the bytes">
                at byte {problem.offset}
              </button>
              {problem.path ? <code> {problem.path}</code> : null}: {problem.reason}
            </li>
          ))}
        </ul>
      ) : null}
      <div class={`message-panes${bytes.length === 0 ? ' no-bytes' : ''}`}>
        <section class="message-json" aria-label={`${label} decoded`}>
          {decoded ? (
            <JsonTree
              value={decoded.json}
              bodyBytes={jsonSize}
              selectedPath={selectedPath}
              onSelect={setSelectedPath}
              marks={marks}
            />
          ) : text !== null ? (
            <pre class="message-text">{text}</pre>
          ) : (
            <div class="empty-note">{bytes.length === 0 ? 'Empty body.' : 'Not decoded: shown as bytes only.'}</div>
          )}
        </section>
        {bytes.length > 0 ? (
          <section class="message-hex" aria-label={`${label} bytes`}>
            <HexDump
              bytes={bytes}
              highlight={highlight}
              problemOffsets={problems.map((p) => p.offset)}
              onPick={(offset) => {
                const span = spans.atOffset(offset);
                if (span) setSelectedPath(span.path);
              }}
            />
          </section>
        ) : null}
      </div>
    </div>
  );
}
