// Replaying a recorded session: the /exec calls a filter selects, in recorded order, and
// the WebSocket connections among them alongside, each compared with its recording.
// Tokens the session's auth calls renew are carried forward (replay/tokens.ts), so a
// session recorded last week replays today.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Difference, ExchangeKind } from '../model/types.ts';
import type { FlowHead } from '../model/flow.ts';
import type { Store } from '../storage/store.ts';
import { ReplayError, type ReplayOptions, type Replayer } from './replayer.ts';
import { TokenCarry, type Renewal } from './tokens.ts';
import { operationLabel } from '../model/format.ts';

export interface SessionOptions {
  /** The filter language; empty selects everything. Replays themselves are never replayed again. */
  filter?: string;
  /** Instead of the filter: these exchanges (copies of the originals, made for the replay). */
  ids?: readonly number[];
  /** Sent on every request and WsAuth instead of the recorded tokens; turns carrying forward off. */
  token?: string;
  trx?: ReplayOptions['trx'];
  /** "recorded" (default): exchanges and frames at their recorded gaps; "none": one after another at once. */
  timing?: ReplayOptions['timing'];
  ignore?: readonly string[];
  onProgress?(progress: SessionProgress): void;
}

export interface SessionProgress {
  done: number;
  total: number;
  different: number;
  failed: number;
}

export type ExchangeVerdict = 'same' | 'different' | 'failed';

export interface ExchangeResult {
  /** The recorded exchange. */
  id: number;
  /** The exchange the replay recorded; null when nothing could be sent. */
  replayId: number | null;
  kind: ExchangeKind;
  path: string;
  service: string | null;
  operation: string | null;
  result: ExchangeVerdict;
  diffs: Difference[];
  error: string | null;
}

export interface SessionReport {
  /** In recorded order. */
  results: ExchangeResult[];
  renewals: Renewal[];
  /** Plain HTTP exchanges the filter selected: they are not replayed. */
  skipped: number;
}

/** Throws FilterError for a malformed filter, before anything is sent. */
export async function replaySession(replayer: Replayer, store: Store, options: SessionOptions = {}): Promise<SessionReport> {
  const selected = selectExchanges(store, options.ids ? { ids: options.ids } : { filter: options.filter ?? '' });
  const replayable = selected.filter((s) => s.kind === 'exec' || s.kind === 'ws');
  const carry = new TokenCarry(options.token);
  const progress: SessionProgress = { done: 0, total: replayable.length, different: 0, failed: 0 };
  const results = new Map<number, ExchangeResult>();
  const timing = options.timing ?? 'recorded';
  const sessionStart = replayable.length > 0 ? replayable[0].startedAt : 0;
  const clockStart = Date.now();
  const connections: Promise<void>[] = [];

  const one = async (summary: FlowHead): Promise<void> => {
    const result: ExchangeResult = {
      id: summary.id,
      replayId: null,
      kind: summary.kind,
      path: summary.request.path,
      service: summary.service,
      operation: summary.operation,
      result: 'failed',
      diffs: [],
      error: null,
    };
    try {
      const outcome = await replayer.replay(summary.id, {
        trx: options.trx,
        timing,
        ignore: options.ignore,
        ...(options.token !== undefined ? { token: options.token } : { tokenFor: (recorded: string) => carry.tokenFor(recorded) }),
      });
      result.replayId = outcome.id;
      result.diffs = outcome.diff;
      result.error = outcome.error;
      result.result = outcome.error ? 'failed' : outcome.diff.length > 0 ? 'different' : 'same';
      if (summary.kind === 'exec') carry.learn(outcome.recordedAnswer, outcome.replayedAnswer, callName({ ...summary, path: summary.request.path }), summary.id);
    } catch (err) {
      result.error = err instanceof ReplayError ? err.message : `the replay failed: ${(err as Error).message}`;
    }
    results.set(summary.id, result);
    progress.done++;
    if (result.result === 'different') progress.different++;
    if (result.result === 'failed') progress.failed++;
    options.onProgress?.({ ...progress });
  };

  for (const summary of replayable) {
    if (timing === 'recorded') {
      const due = summary.startedAt - sessionStart - (Date.now() - clockStart);
      if (due > 0) await sleep(due);
    }
    // A WebSocket stays open while the calls after it run, as it did when recorded: its events answer them.
    if (summary.kind === 'ws') connections.push(one(summary));
    else await one(summary);
  }
  await Promise.all(connections);
  return { results: replayable.map((s) => results.get(s.id)!), renewals: carry.renewals, skipped: selected.length - replayable.length };
}

/** "auth.login", or the method and path of what has no service. */
export function callName(call: { service: string | null; operation: string | null; kind: ExchangeKind; path: string }): string {
  return operationLabel(call) ?? (call.kind === 'ws' ? `ws ${call.path}` : call.path);
}

/** The flows the filter (or the ids) selects, oldest first, leaving out earlier replays; their frames left behind, as the replay reads each again. */
export function selectExchanges(store: Store, selection: { filter?: string; ids?: readonly number[] }): FlowHead[] {
  const heads: FlowHead[] = [];
  for (const { frames: _frames, ...head } of store.flows({ ...selection, order: 'oldest' })) if (head.replayOf === null) heads.push(head);
  return heads;
}
