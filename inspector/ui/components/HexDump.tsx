// The raw bytes with offsets, virtualised by line so a 16 MB body scrolls like a
// small one. The highlighted range (the selected JSON field) is scrolled into view;
// clicking a byte reports its offset so the tree can select the field it belongs to.

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { hexLines, inRange, lineCount, lineOfOffset, type ByteRange } from '../model/hex-dump.ts';
import { scrollToReveal, visibleRange } from '../model/virtual-list.ts';
import { cssPixels, useViewport } from './use-viewport.ts';

interface HexDumpProps {
  bytes: Uint8Array;
  highlight: ByteRange | null;
  /** Offsets where the codec reported a problem, marked in the dump. */
  problemOffsets?: number[];
  onPick?: (offset: number) => void;
}

export function HexDump({ bytes, highlight, problemOffsets = [], onPick }: HexDumpProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const viewport = useViewport(scroller);
  const [lineHeight, setLineHeight] = useState(18);
  useLayoutEffect(() => setLineHeight(cssPixels(scroller.current, '--hex-line-height', 18)), []);

  const lines = lineCount(bytes.length);
  const range = visibleRange(viewport.scrollTop, viewport.height, lineHeight, lines, 10);
  useEffect(() => {
    const element = scroller.current;
    if (!element || !highlight) return;
    const line = lineOfOffset(highlight.start);
    const target = scrollToReveal(line, element.scrollTop, element.clientHeight, lineHeight);
    // Off screen: bring it in with two lines of context above it.
    if (target !== null) element.scrollTop = Math.max(0, (line - 2) * lineHeight);
  }, [highlight?.start, highlight?.end, lineHeight]);

  if (bytes.length === 0) return <div class="hex-dump empty-note">No body bytes.</div>;
  const problems = new Set(problemOffsets);
  const rendered = hexLines(bytes, range.start, range.end - range.start);
  return (
    <div
      class="hex-dump"
      ref={scroller}
      onClick={(event) => {
        const offset = (event.target as HTMLElement).dataset.offset;
        if (offset !== undefined) onPick?.(Number(offset));
      }}
    >
      <div class="hex-spacer" style={{ height: `${range.totalHeight}px` }}>
        <div class="hex-lines" style={{ transform: `translateY(${range.start * lineHeight}px)` }}>
          {rendered.map((line) => (
            <div class="hex-line" key={line.offset}>
              <span class="hex-offset">{line.offsetText}</span>
              <span class="hex-bytes">
                {line.cells.map((cell, i) => (
                  <span
                    key={cell.offset}
                    data-offset={cell.offset}
                    class={`hex-byte${i === 8 ? ' hex-group' : ''}${inRange(cell.offset, highlight) ? ' hl' : ''}${problems.has(cell.offset) ? ' problem' : ''}`}
                  >
                    {cell.hex}
                  </span>
                ))}
              </span>
              <span class="hex-ascii">
                {line.cells.map((cell) => (
                  <span key={cell.offset} data-offset={cell.offset} class={inRange(cell.offset, highlight) ? 'hl' : undefined}>
                    {cell.ascii}
                  </span>
                ))}
              </span>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
