// The Paused panel: the messages breakpoints hold, oldest first, each with its call,
// point, rule, exchange and countdown; the one picked shows decoded in the message
// editor, with what can become of it: continue as is or edited, answer a request in the
// upstream's place, abort it, or continue them all. On a paused frame's WebSocket a
// frame of the user's can be sent in either direction meanwhile.

import { useEffect, useState } from 'preact/hooks';
import type { FrameInjection, PauseDecision, PausedView } from '../../../model/pauses.ts';
import type { JsonValue } from '../../../model/types.ts';
import { countOf } from '../../../model/format.ts';
import { abortKinds, abortOf, answerDraft, countdown, frameDecodedAs, isWsPoint, pausedMessage, type AbortKind } from '../model/pauses-panel.ts';
import { checkRequestOf, editorAllows, parseEdited } from '../model/replay.ts';
import { pointMeaning } from '../model/rules-panel.ts';
import { MessageEditor } from './MessageEditor.tsx';
import type { Api } from '../services/api.ts';
import type { Pauses } from './use-pauses.ts';
import { useSchemaCheck } from './use-schema-check.ts';

interface PausedPanelProps {
  api: Api;
  pauses: Pauses;
  /** Whether the list holds this exchange, so its link can select it. */
  inList: (exchangeId: number) => boolean;
  onOpenExchange: (exchangeId: number) => void;
  onClose: () => void;
}

/** The time, each second while a countdown shows. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!ticking) return;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}

export function PausedPanel({ api, pauses, inList, onOpenExchange, onClose }: PausedPanelProps) {
  const { list } = pauses;
  const [pickedId, setPickedId] = useState<number | null>(null);
  const picked = list?.find((pause) => pause.id === pickedId) ?? list?.[0] ?? null;
  const now = useNow(!!list?.some((pause) => pause.deadline !== null));
  return (
    <div class="overlay" onClick={onClose}>
      <div class="dialog paused-panel" role="dialog" aria-label="Paused" onClick={(event) => event.stopPropagation()}>
        <h2>Paused</h2>
        {pauses.error ? (
          <div class="banner error" role="alert">
            {pauses.error}
          </div>
        ) : null}
        {list === null ? (
          <p class="empty-note">Asking the proxy what is paused…</p>
        ) : list.length === 0 ? (
          <p class="empty-note">
            Nothing is paused. A rule with <code>break: true</code> pauses the messages it matches: arm one with Break on… in the top bar, or key <kbd>b</kbd> on an
            open exchange.
          </p>
        ) : (
          <>
            <div class="paused-head">
              <span class="muted">{countOf(list.length, 'message')} paused</span>
              <button class="button" onClick={pauses.continueAll} title="Let every paused message go on as it is">
                Continue all
              </button>
            </div>
            <ul class="paused-list">
              {list.map((pause) => (
                <li key={pause.id} data-pause={pause.id} class={pause === picked ? 'picked' : ''} onClick={() => setPickedId(pause.id)}>
                  <span class="paused-call">{pause.call}</span>
                  <code title={pointMeaning[pause.point]}>{pause.point}</code>
                  <span class="paused-rule" title="The rule that paused it">
                    rule {pause.rule}
                  </span>
                  {pause.exchangeId === null ? (
                    <span class="muted paused-exchange" title="The recording has not stored it: it fell behind, or stopped">
                      not recorded
                    </span>
                  ) : inList(pause.exchangeId) ? (
                    <button
                      class="link paused-exchange"
                      onClick={(event) => {
                        event.stopPropagation();
                        onOpenExchange(pause.exchangeId!);
                      }}
                    >
                      exchange #{pause.exchangeId}
                    </button>
                  ) : (
                    <span class="muted paused-exchange" title="Not in the list as it is filtered now">
                      exchange #{pause.exchangeId}
                    </span>
                  )}
                  {pause.waiting ? <span class="paused-waiting">{countOf(pause.waiting, 'frame')} waiting behind it</span> : null}
                  <span class="paused-countdown">{countdown(pause.deadline, now)}</span>
                </li>
              ))}
            </ul>
            {picked ? <PausedMessage key={picked.id} api={api} pause={picked} pauses={pauses} /> : null}
          </>
        )}
      </div>
    </div>
  );
}

type Mode = 'edit' | 'answer' | 'inject';

function PausedMessage({ api, pause, pauses }: { api: Api; pause: PausedView; pauses: Pauses }) {
  const { noun, decoded } = pausedMessage(pause.point);
  // Besides editing: a request can be answered, and a frame's WebSocket can take frames of the user's.
  const aside: Mode | null = pause.point === 'request' ? 'answer' : isWsPoint(pause.point) ? 'inject' : null;
  const [initial] = useState(() => (pause.message.json === null ? null : JSON.stringify(pause.message.json, null, 2)));
  const [mode, setMode] = useState<Mode>('edit');
  const [text, setText] = useState(initial ?? '');
  const [answer, setAnswer] = useState(() => answerDraft(pause.message.json));
  const [from, setFrom] = useState<FrameInjection['from']>(pause.point === 'ws:client' ? 'client' : 'server');
  const [frame, setFrame] = useState('{}');
  const kinds = abortKinds(pause.point);
  const [abortKind, setAbortKind] = useState<AbortKind>('reset');
  const [abortForm, setAbortForm] = useState({ status: '502', code: '1000', reason: '' });
  const [busy, setBusy] = useState(false);
  const edited = parseEdited(text, noun, decoded);
  const answerEdited = parseEdited(answer, 'answer', 'ServerResponse');
  const frameEdited = parseEdited(frame, 'frame', frameDecodedAs[from]);
  // The editor on show is checked as the proxy will encode it: an edit over the paused bytes, an answer or a frame from nothing.
  const check = useSchemaCheck(
    api,
    mode === 'answer'
      ? checkRequestOf(answerEdited, 'ServerResponse')
      : mode === 'inject'
        ? checkRequestOf(frameEdited, frameDecodedAs[from])
        : initial === null || text === initial
          ? null
          : checkRequestOf(edited, decoded, pause.message.base64),
  );

  const send = async (decision: PauseDecision) => {
    setBusy(true);
    // On success the pause leaves the list, and this view with it.
    if (!(await pauses.decide(pause.id, decision))) setBusy(false);
  };
  const inject = async (json: JsonValue) => {
    setBusy(true);
    await pauses.inject(pause.id, { from, message: { json } });
    setBusy(false);
  };
  const field = (name: keyof typeof abortForm) => (event: Event) => {
    const value = (event.target as HTMLInputElement).value;
    setAbortForm((form) => ({ ...form, [name]: value }));
  };
  const modeLabel: Record<Mode, string> = { edit: `Edit the ${noun}`, answer: 'Answer instead', inject: 'Inject a frame' };

  return (
    <section class="paused-message" aria-label={`Paused #${pause.id}`}>
      <h3>
        #{pause.id} {pause.call} at {pause.point}
      </h3>
      {aside ? (
        <div class="version-switch" role="group" aria-label={`${modeLabel.edit} or ${modeLabel[aside].toLowerCase()}`}>
          {(['edit', aside] as const).map((m) => (
            <button key={m} class={`toggle${mode === m ? ' on' : ''}`} aria-pressed={mode === m} onClick={() => setMode(m)}>
              {modeLabel[m]}
            </button>
          ))}
        </div>
      ) : null}
      {mode === 'answer' ? (
        <MessageEditor label="Answer (decoded ServerResponse; sent to the client, never upstream)" text={answer} edited={answerEdited} check={check} onInput={setAnswer} rows={12} />
      ) : mode === 'inject' ? (
        <>
          <label class="replay-field">
            <span>Sent now on this WebSocket, the paused frame staying paused</span>
            <select class="inject-from" value={from} onChange={(event) => setFrom((event.target as HTMLSelectElement).value as FrameInjection['from'])}>
              <option value="server">to the client, as if the server had sent it</option>
              <option value="client">to the server, as if the client had sent it</option>
            </select>
          </label>
          <MessageEditor label={`Frame (decoded ${frameDecodedAs[from]})`} text={frame} edited={frameEdited} check={check} onInput={setFrame} rows={8} />
        </>
      ) : initial === null ? (
        <p class="muted">
          No schema decodes this {noun}: it can go on as it is, or be aborted. (POST /api/paused/{pause.id} also takes edited bytes as <code>{'{ base64 }'}</code>.)
        </p>
      ) : (
        <MessageEditor label={`${noun[0]!.toUpperCase()}${noun.slice(1)} (decoded ${decoded})`} text={text} edited={edited} check={check} onInput={setText} rows={12} />
      )}
      <div class="dialog-actions paused-actions">
        {mode === 'answer' ? (
          <button class="primary" disabled={busy || !editorAllows(answerEdited, check)} onClick={() => answerEdited.ok && void send({ action: 'answer', message: { json: answerEdited.value } })}>
            Answer
          </button>
        ) : mode === 'inject' ? (
          <button class="primary" disabled={busy || !editorAllows(frameEdited, check)} onClick={() => frameEdited.ok && void inject(frameEdited.value)}>
            Inject
          </button>
        ) : (
          <>
            <button disabled={busy} onClick={() => void send({ action: 'continue' })} title="Let it go on byte for byte as it came">
              Continue
            </button>
            <button
              class="primary"
              disabled={busy || initial === null || text === initial || !editorAllows(edited, check)}
              title={text === initial ? 'Edit the message first' : 'Let it go on as edited'}
              onClick={() => edited.ok && void send({ action: 'continue', message: { json: edited.value } })}
            >
              Continue with edits
            </button>
          </>
        )}
      </div>
      <div class="paused-abort" role="group" aria-label="Abort">
        <select value={abortKind} aria-label="How to abort" onChange={(event) => setAbortKind((event.target as HTMLSelectElement).value as AbortKind)}>
          {kinds.map(({ kind, label }) => (
            <option key={kind} value={kind}>
              {label}
            </option>
          ))}
        </select>
        {abortKind === 'status' ? <input class="mono abort-status" aria-label="Status" inputMode="numeric" size={4} value={abortForm.status} onInput={field('status')} /> : null}
        {abortKind === 'close' ? (
          <>
            <input class="mono abort-code" aria-label="Close code" inputMode="numeric" size={5} value={abortForm.code} onInput={field('code')} />
            <input class="abort-reason" aria-label="Close reason" placeholder="reason" value={abortForm.reason} onInput={field('reason')} />
          </>
        ) : null}
        <button class="button" disabled={busy} onClick={() => void send({ action: 'abort', abort: abortOf(abortKind, abortForm) })}>
          Abort
        </button>
      </div>
    </section>
  );
}
