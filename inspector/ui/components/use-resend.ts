// Resend, and Edit and resend, of the open exchange: the replay opens, compared with
// the exchange it resent, shown beside it; an open exchange lists the replays made of it.

import { useEffect, useState } from 'preact/hooks';
import type { ExchangeDetail, ReplayAnswer, ReplayRequest } from '../../../model/types.ts';
import type { Api } from '../services/api.ts';
import type { DetailState } from './DetailPane.tsx';
import { showToast } from './Toast.tsx';

export interface Resend {
  /** Exchanges that replayed the open one, for its "replayed as #N" links. */
  replays: number[];
  /** The answer of the latest resend: its replay is compared with the exchange it resent. */
  comparison: ReplayAnswer | null;
  /** The exchange the latest resend resent, to show beside its replay. */
  original: ExchangeDetail | null;
  sending: boolean;
  /** Whether the editor (Edit and resend) is open. */
  editing: boolean;
  setEditing: (editing: boolean) => void;
  /** Resends the open exchange and opens the replay. Rejects with the server's refusal. */
  send: (request: ReplayRequest) => Promise<void>;
  /** Resend as recorded (a new trx); a refusal shows as a toast. */
  asRecorded: () => void;
  /** The r key: resends when the server can and the open exchange's detail is one that resends; false otherwise. */
  byKey: () => boolean;
}

export interface ResendOptions {
  api: Api;
  fail: (err: unknown) => void;
  /** Whether the server can resend: not where `open` serves a file with no proxy. */
  withProxy: boolean;
  openId: number | null;
  detail: DetailState | null;
  /** Selects and opens an exchange in the list. */
  open: (id: number) => void;
}

export function useResend({ api, fail, withProxy, openId, detail, open }: ResendOptions): Resend {
  const [replays, setReplays] = useState<number[]>([]);
  const [comparison, setComparison] = useState<ReplayAnswer | null>(null);
  const [original, setOriginal] = useState<ExchangeDetail | null>(null);
  const [sending, setSending] = useState(false);
  const [editing, setEditing] = useState(false);

  useEffect(() => {
    setReplays([]);
    if (openId === null) return;
    const abort = new AbortController();
    api.page({ filter: `replay:${openId}`, limit: 20 }, abort.signal).then(
      (page) => setReplays(page.items.map((s) => s.id)),
      () => undefined,
    );
    return () => abort.abort();
  }, [openId, comparison]);

  useEffect(() => {
    setOriginal(null);
    if (comparison === null) return;
    const abort = new AbortController();
    api.detail(comparison.replayOf, abort.signal).then(setOriginal, () => undefined);
    return () => abort.abort();
  }, [comparison]);

  const send = async (request: ReplayRequest): Promise<void> => {
    if (openId === null || sending) return;
    setSending(true);
    try {
      const answer = await api.replay(openId, request);
      setComparison(answer);
      setEditing(false);
      open(answer.id);
      showToast(`Replayed #${answer.replayOf} as #${answer.id}`);
    } finally {
      setSending(false);
    }
  };
  const asRecorded = () => {
    send({ timing: 'none' }).catch((err: Error) => {
      showToast(`Resend failed: ${err.message}`);
      fail(err);
    });
  };
  const byKey = () => {
    if (!withProxy || (detail?.detail?.kind !== 'exec' && detail?.detail?.kind !== 'ws')) return false;
    asRecorded();
    return true;
  };
  return { replays, comparison, original, sending, editing, setEditing, send, asRecorded, byKey };
}
