// The open exchange's detail: fetched when it opens and again when its row changes
// state (pending → complete); live frames of an open WebSocket join it as they come.

import { useEffect, useState } from 'preact/hooks';
import type { ExchangeSummary } from '../../../model/types.ts';
import { framesByExchange, mergeFrames } from '../model/frames.ts';
import type { TrafficRows } from '../model/traffic-rows.ts';
import type { Api } from '../services/api.ts';
import type { DetailState } from './DetailPane.tsx';
import { useLiveEvent, type LiveStream } from './use-live-stream.ts';

export interface OpenDetail {
  state: DetailState | null;
  /** The open exchange's row as the list knows it, shown while the detail loads. */
  summary: ExchangeSummary | undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface DetailOptions {
  api: Api;
  stream: LiveStream;
  fail: (err: unknown) => void;
  rows: TrafficRows;
  openId: number | null;
}

export function useDetail({ api, stream, fail, rows, openId }: DetailOptions): OpenDetail {
  const [state, setState] = useState<DetailState | null>(null);
  const summary = openId === null ? undefined : rows.get(openId);
  // A rule that first changes a frame of an open WebSocket changes the detail's rules and frames' originals too.
  const summaryKey = summary ? `${summary.state}/${summary.status}/${summary.durationMs}/${summary.rules.length}` : '';

  useEffect(() => {
    if (openId === null) {
      setState(null);
      return;
    }
    const abort = new AbortController();
    setState((current) => (current?.id === openId ? current : { id: openId, detail: null, error: null }));
    api.detail(openId, abort.signal).then(
      (loaded) => setState((current) => (current?.id === openId ? { id: openId, detail: current.detail ? { ...loaded, frames: mergeFrames(loaded.frames, current.detail.frames) } : loaded, error: null } : current)),
      (err: Error) => {
        if (err.name === 'AbortError') return;
        setState({ id: openId, detail: null, error: errorText(err) });
        fail(err);
      },
    );
    return () => abort.abort();
  }, [openId, summaryKey]);

  useLiveEvent(stream, 'batch', (batch) => {
    if (batch.frames.length === 0) return;
    const byExchange = framesByExchange(batch.frames);
    setState((current) => {
      const frames = current?.detail ? byExchange.get(current.id) : undefined;
      if (!current?.detail || !frames) return current;
      return { ...current, detail: { ...current.detail, frames: mergeFrames(current.detail.frames, frames) } };
    });
  });

  return { state, summary };
}
