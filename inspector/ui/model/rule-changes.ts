// What a rule changed on an exchange, without the DOM: the two versions of each message
// a rule replaced (what was sent, what went on), named from where the proxy stands, and
// their field differences, found by the field diff (model/field-diff.ts).

import type { DecodeResult, Difference, ExchangeDetail, WsFrame } from '../../../model/types.ts';
import { diffAll } from '../../../model/field-diff.ts';

/** One version of a message, as MessageView shows it. */
export interface MessageVersion {
  label: string;
  /** base64 */
  body: string;
  decoded: DecodeResult | null;
  truncated: boolean;
}

/** A message a rule replaced: what its sender sent, what the proxy sent on, and how they differ. */
export interface RuleChange {
  what: 'request' | 'response' | 'frame';
  original: MessageVersion;
  current: MessageVersion;
  diff: Difference[];
  /** Set when a version does not decode, so only their bytes can be compared. */
  undecoded: boolean;
  sameBytes: boolean;
  /** The response's HTTP status, when the rule changed it. */
  status: { before: number; after: number } | null;
  /** A user edited it at a breakpoint (the rule paused it), rather than the rule's own edits. */
  atBreakpoint: boolean;
}

/** "changed by rule NAME" or "changed by rules A, B": the detail pane's heading, and the list badge's title. */
export function changedByText(rules: readonly string[]): string {
  return `changed by rule${rules.length === 1 ? '' : 's'} ${rules.join(', ')}`;
}

/** The request and the response, where a rule replaced them, in that order. */
export function exchangeChanges(detail: ExchangeDetail): RuleChange[] {
  const changes: RuleChange[] = [];
  const original = detail.original;
  const paused = detail.editedAtBreakpoint;
  if (original?.request) {
    changes.push(change('request', { ...original.request, label: 'as sent by the client' }, { ...detail.request, label: 'as sent upstream' }, null, paused.includes('request')));
  }
  if (original?.response && detail.response) {
    const status = original.response.status !== detail.status && detail.status !== null ? { before: original.response.status, after: detail.status } : null;
    changes.push(change('response', { ...original.response, label: 'as the upstream answered' }, { ...detail.response, label: 'as the client got it' }, status, paused.includes('response')));
  }
  return changes;
}

/** "request edited at breakpoint", "request and response edited at breakpoint"; null when nothing was. A response answered there counts as edited. */
export function breakpointText(detail: Pick<ExchangeDetail, 'editedAtBreakpoint'>): string | null {
  const edits = detail.editedAtBreakpoint;
  return edits.length === 0 ? null : `${edits.join(' and ')} edited at breakpoint`;
}

/** A frame a rule relayed with other bytes; null for one it relayed as sent. */
export function frameChange(frame: WsFrame): RuleChange | null {
  if (!frame.original) return null;
  const [sender, receiver] = frame.direction === 'client' ? ['client', 'server'] : ['server', 'client'];
  return change(
    'frame',
    { ...frame.original, truncated: false, label: `as the ${sender} sent it` },
    { body: frame.body, decoded: frame.decoded, truncated: frame.truncated, label: `as relayed to the ${receiver}` },
    null,
    frame.mark === 'breakpoint',
  );
}

/** What a rule did to a frame, for its tag in the timeline and the list; null when it did nothing to it. */
export function frameRuleTag(frame: WsFrame): { text: 'dropped' | 'injected' | 'changed' | 'edited at breakpoint'; title: string } | null {
  const by = frame.rule ? ` by rule ${frame.rule}` : '';
  if (frame.mark === 'breakpoint') return { text: 'edited at breakpoint', title: `paused${by} and edited: relayed with the bytes given at the breakpoint, not those the ${frame.direction} sent` };
  if (frame.mark === 'dropped') return { text: 'dropped', title: `dropped${by}: recorded as sent, never relayed` };
  if (frame.mark === 'injected') return { text: 'injected', title: `injected${by}: sent by the proxy, not by the ${frame.direction}` };
  if (frame.original) return { text: 'changed', title: `changed${by}: relayed with other bytes than the ${frame.direction} sent` };
  return null;
}

/** One line saying how the two versions differ. */
export function changeSummary(change: RuleChange): string {
  const fields = change.diff.length;
  if (fields > 0) return `${fields} field${fields === 1 ? '' : 's'} differ${fields === 1 ? 's' : ''}`;
  if (change.sameBytes) return change.status ? 'the same body' : 'the same bytes';
  return change.undecoded ? 'other bytes; a version does not decode, so no fields to compare' : 'other bytes, the same decoded fields';
}

function change(what: RuleChange['what'], original: MessageVersion, current: MessageVersion, status: RuleChange['status'], atBreakpoint: boolean): RuleChange {
  const undecoded = original.decoded === null || current.decoded === null;
  return {
    what,
    original,
    current,
    diff: undecoded ? [] : diffAll(original.decoded!.json, current.decoded!.json),
    undecoded,
    sameBytes: original.body === current.body,
    status,
    atBreakpoint,
  };
}
