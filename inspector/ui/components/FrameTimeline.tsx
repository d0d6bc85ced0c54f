// A WebSocket connection as a timeline: every frame with its direction, its time
// since the connection opened and the gap since the previous frame, then the close.
// Selecting a frame shows its decoded message and bytes below.

import { useEffect, useRef } from 'preact/hooks';
import type { ExchangeDetail } from '../../../model/types.ts';
import { formatDuration, formatOffset } from '../model/format.ts';
import { formatSize } from '../../../model/format.ts';
import { closeSummary, frameSummary, gapMs, notableGapMs, opcodeName } from '../model/frames.ts';
import { frameChange } from '../model/rule-changes.ts';
import { FrameRuleTag, VersionedMessage } from './RuleChanges.tsx';

interface FrameTimelineProps {
  detail: ExchangeDetail;
  selectedSeq: number | null;
  onSelect: (seq: number | null) => void;
}

export function FrameTimeline({ detail, selectedSeq, onSelect }: FrameTimelineProps) {
  const list = useRef<HTMLOListElement>(null);
  const opened = detail.startedAt;
  const frames = detail.frames;
  const selected = frames.find((f) => f.seq === selectedSeq) ?? null;
  useEffect(() => {
    list.current?.querySelector('.frame-item.selected')?.scrollIntoView({ block: 'nearest' });
  }, [selectedSeq, selected !== null]);

  return (
    <div class="frame-view">
      <ol class="frame-timeline" aria-label="Frames" ref={list}>
        <li class="frame-item frame-open">
          <span class="frame-when">+0 ms</span>
          <span class="frame-dir">⇄</span>
          <span class="frame-text">connection opened ({detail.status ?? 'no answer yet'})</span>
        </li>
        {frames.length === 0 ? <li class="frame-item empty-note">No frames yet.</li> : null}
        {frames.map((frame, i) => {
          const gap = i === 0 ? gapMs(opened, frame.at) : gapMs(frames[i - 1]!.at, frame.at);
          const errors = frame.decoded?.summary.errors ?? [];
          return (
            <li
              key={frame.seq}
              class={`frame-item ${frame.direction}${selectedSeq === frame.seq ? ' selected' : ''}${errors.length ? ' has-errors' : ''}${frame.mark ? ` ${frame.mark}` : ''}`}
              data-seq={frame.seq}
              onClick={() => onSelect(selectedSeq === frame.seq ? null : frame.seq)}
            >
              <span class="frame-when" title="since the connection opened">
                {formatOffset(gapMs(opened, frame.at))}
              </span>
              <span class="frame-dir" title={frame.direction === 'client' ? 'client → server' : 'server → client'}>
                {frame.direction === 'client' ? '→' : '←'}
              </span>
              <span class="frame-text">
                <FrameRuleTag frame={frame} />
                {frameSummary(frame)}
              </span>
              <span class={`frame-gap${gap >= notableGapMs ? ' notable' : ''}`} title="since the previous frame">
                {i === 0 ? '' : `Δ ${formatDuration(gap)}`}
              </span>
              <span class="frame-size">
                {opcodeName(frame.opcode)} · {formatSize(frame.size)}
              </span>
            </li>
          );
        })}
        {detail.close ? (
          <li class={`frame-item frame-close by-${detail.close.by}`}>
            <span class="frame-when">{formatOffset(gapMs(opened, detail.close.at))}</span>
            <span class="frame-dir">✕</span>
            <span class="frame-text">{closeSummary(detail.close)}</span>
          </li>
        ) : detail.state === 'pending' ? (
          <li class="frame-item frame-live">
            <span class="frame-when" />
            <span class="frame-dir">●</span>
            <span class="frame-text">connected: new frames appear here</span>
          </li>
        ) : detail.state === 'interrupted' ? (
          <li class="frame-item frame-close by-proxy">
            <span class="frame-when" />
            <span class="frame-dir">✕</span>
            <span class="frame-text">interrupted: {detail.error}</span>
          </li>
        ) : null}
      </ol>
      {selected ? (
        <VersionedMessage
          key={selected.seq}
          change={frameChange(selected)}
          current={selected}
          label={`Frame ${selected.seq} (${selected.direction === 'client' ? 'client → server' : 'server → client'})`}
          wireSize={selected.size}
        />
      ) : (
        <p class="empty-note hint">Select a frame to see its decoded message and bytes.</p>
      )}
    </div>
  );
}
