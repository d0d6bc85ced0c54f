// "Edit and resend": the decoded request as JSON, checked as you type (MessageEditor.tsx)
// as the resend will encode it, and the token to send, flagged when it has expired. Send
// waits for JSON that fits the schema; should the resend still refuse it, its sentence
// shows here and nothing was sent.

import { useMemo, useState } from 'preact/hooks';
import type { ExchangeDetail, JsonValue, ReplayRequest } from '../../../model/types.ts';
import { formatDateTime } from '../model/format.ts';
import { editorAllows, parseEdited, tokenExpiry } from '../model/replay.ts';
import type { Api } from '../services/api.ts';
import { MessageEditor } from './MessageEditor.tsx';
import { useSchemaCheck } from './use-schema-check.ts';

interface ReplayEditorProps {
  api: Api;
  detail: ExchangeDetail;
  /** Resolves when sent; rejects with the server's sentence and problems to show. */
  onSend: (request: ReplayRequest) => Promise<void>;
  onClose: () => void;
}

/** The request as the client sent it: what a resend sends unless edited, so an edit starts from it too, not from a rule's version. */
function clientRequest(detail: ExchangeDetail) {
  return detail.original?.request ?? detail.request;
}

function recordedToken(detail: ExchangeDetail): string {
  const json = detail.kind === 'ws' ? detail.frames.find((f) => f.direction === 'client' && f.mark !== 'injected')?.decoded?.json : clientRequest(detail).decoded?.json;
  const token = (json as { token?: JsonValue } | undefined)?.token;
  return typeof token === 'string' ? token : '';
}

export function ReplayEditor({ api, detail, onSend, onClose }: ReplayEditorProps) {
  const exec = detail.kind === 'exec';
  const initialToken = useMemo(() => recordedToken(detail), [detail]);
  const initialText = useMemo(() => {
    const request = clientRequest(detail);
    if (!exec || !request.decoded) return '';
    const { token: _token, ...rest } = request.decoded.json;
    return JSON.stringify(rest, null, 2);
  }, [detail]);
  const [text, setText] = useState(initialText);
  const [token, setToken] = useState(initialToken);
  const [keepTrx, setKeepTrx] = useState(false);
  const [sending, setSending] = useState(false);
  const [refusal, setRefusal] = useState<{ error: string; problems: { path: string; reason: string }[] } | null>(null);
  const edited = exec ? parseEdited(text) : null;
  // The edited request as it goes (the token from its own field), checked over the recorded bytes as the resend encodes it.
  const body = edited?.ok && text !== initialText ? { ...(edited.value as Record<string, JsonValue>), ...(token !== '' ? { token } : {}) } : null;
  const check = useSchemaCheck(api, body && { type: 'ClientRequest', json: body, base64: clientRequest(detail).body });
  const expiry = tokenExpiry(token, Date.now());

  const send = async () => {
    const request: ReplayRequest = { trx: keepTrx ? 'keep' : 'new', timing: 'none' };
    if (token !== initialToken) request.token = token;
    if (body) request.body = { json: body };
    setSending(true);
    setRefusal(null);
    try {
      await onSend(request);
    } catch (err) {
      const problems = (err as { problems?: { path: string; reason: string }[] }).problems ?? [];
      setRefusal({ error: (err as Error).message, problems });
    } finally {
      setSending(false);
    }
  };

  return (
    <div class="overlay" onClick={onClose}>
      <div class="dialog replay-editor" role="dialog" aria-label="Edit and resend" onClick={(event) => event.stopPropagation()}>
        <h2>Edit and resend #{detail.id}</h2>
        {edited ? (
          <MessageEditor label="Request (decoded ClientRequest; the token is set below)" text={text} edited={edited} check={check} onInput={setText} />
        ) : (
          <p class="muted">A new connection sends the recorded client frames, WsAuth with the token below.</p>
        )}
        <label class="replay-field">
          <span>Token</span>
          <input class="replay-token mono" value={token} spellcheck={false} onInput={(event) => setToken((event.target as HTMLInputElement).value)} />
        </label>
        {expiry ? (
          <p class={`replay-expiry${expiry.expired ? ' expired' : ''}`}>
            {expiry.expired ? 'Expired' : 'Expires'} {formatDateTime(expiry.exp * 1000)} (exp {expiry.exp})
            {expiry.expired ? ': the server will likely refuse it; paste a fresh one.' : ''}
          </p>
        ) : null}
        {exec ? (
          <label class="replay-check">
            <input type="checkbox" checked={keepTrx} onChange={(event) => setKeepTrx((event.target as HTMLInputElement).checked)} /> keep the recorded trx
            (by default a new one is sent)
          </label>
        ) : null}
        {refusal ? (
          <div class="banner error" role="alert">
            {refusal.error}
            {refusal.problems.length > 0 ? (
              <ul>
                {refusal.problems.map((p) => (
                  <li key={p.path}>
                    <code>{p.path}</code>: {p.reason}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
        <div class="dialog-actions">
          <button onClick={onClose}>Cancel</button>
          <button class="primary" disabled={sending || (edited !== null && !editorAllows(edited, check))} onClick={() => void send()}>
            {sending ? 'Sending…' : 'Send'}
          </button>
        </div>
      </div>
    </div>
  );
}
