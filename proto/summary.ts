// The summary of a top-level message: which service and operation it carries,
// its trx for humans, its ServerError names and facts about its token. It reads
// the envelope by field number (the documented ones), so it holds whatever
// names a user schema gives those fields.

import type { MessageSummary, MessageType } from '../model/types.ts';
import { tokenFacts } from './jwt.ts';
import type { MessagePlan } from './plan.ts';
import { asBuffer, hexString } from './scalars.ts';
import { classifyText, PLAIN_TEXT, readUtf8Lossy } from './text.ts';
import { LEN, VARINT, Wire } from './wire.ts';

const ENVELOPE_SERVICES: Record<number, string> = {
  10: 'utils',
  11: 'auth',
  12: 'users',
  13: 'ssh',
  14: 'referrals',
  15: 'servers',
  16: 'billing',
  17: 'instances',
  18: 'domains',
};

const WS_EVENT_SERVICES: Record<number, string> = { 1: 'billing', 3: 'instances', 4: 'domain_check', 5: 'domains' };

const TRX = 1;
/** token in ClientRequest and WsAuth, errors in ServerResponse and WsEvent. */
export const TOKEN_OR_ERRORS = 2;

/** Where summarize leaves the text of the token it read: what the JSON's `token` holds when the bytes are well-formed. */
export interface TokenText {
  text: string;
}

export function summarize(type: MessageType, plan: MessagePlan, input: Uint8Array, now: number, tokenText?: TokenText): MessageSummary {
  const bytes = asBuffer(input);
  const summary: MessageSummary = { errors: [] };
  const services = type === 'WsEvent' ? WS_EVENT_SERVICES : type === 'WsAuth' ? null : ENVELOPE_SERVICES;
  const hasTrx = type === 'ClientRequest' || type === 'ServerResponse';
  const hasToken = type === 'ClientRequest' || type === 'WsAuth';
  const hasErrors = type === 'ServerResponse' || type === 'WsEvent';
  const errorNames = plan.dense[TOKEN_OR_ERRORS]?.enumNames ?? null;
  let token = '';
  const wire = new Wire(bytes);
  const end = bytes.length;
  let pos = 0;
  while (pos < end) {
    const next = wire.varint32(pos, end);
    if (next < 0) break;
    const number = wire.lo >>> 3;
    const wireType = wire.lo & 7;
    if (number === 0) break;
    if (wireType === LEN) {
      const valueStart = wire.varint32(next, end);
      if (valueStart < 0 || wire.hi !== 0 || wire.lo > end - valueStart) break;
      const valueEnd = valueStart + wire.lo;
      if (number === TRX && hasTrx) summary.trx = valueEnd > valueStart ? trxForHumans(bytes, valueStart, valueEnd) : undefined;
      else if (number === TOKEN_OR_ERRORS && hasToken) token = readUtf8Lossy(bytes, valueStart, valueEnd);
      else if (number === TOKEN_OR_ERRORS && hasErrors) packedErrors(wire, valueStart, valueEnd, errorNames, summary.errors);
      else if (services && summary.service === undefined && services[number]) {
        summary.service = services[number];
        summary.operation = operation(wire, plan, number, valueStart, valueEnd);
      }
      pos = valueEnd;
    } else if (wireType === VARINT && number === TOKEN_OR_ERRORS && hasErrors) {
      pos = wire.varint(next, end);
      if (pos < 0) break;
      summary.errors.push(errorName(wire.lo | 0, errorNames));
    } else {
      pos = wire.skip(wireType, number, next, end, 100);
      if (pos < 0) break;
    }
  }
  // Built in reading order: what was called, for which transaction, what went wrong, by whom.
  const ordered = {} as MessageSummary;
  if (summary.service !== undefined) ordered.service = summary.service;
  if (summary.operation !== undefined) ordered.operation = summary.operation;
  if (summary.trx !== undefined) ordered.trx = summary.trx;
  ordered.errors = summary.errors;
  if (hasToken) ordered.token = tokenFacts(token, now);
  if (tokenText !== undefined) tokenText.text = token;
  return ordered;
}

function packedErrors(wire: Wire, start: number, end: number, names: Map<number, string> | null, errors: string[]): void {
  let pos = start;
  while (pos < end) {
    pos = wire.varint(pos, end);
    if (pos < 0) return;
    errors.push(errorName(wire.lo | 0, names));
  }
}

function errorName(number: number, names: Map<number, string> | null): string {
  return names?.get(number) ?? String(number);
}

/** The first field set inside the service message: its schema name, or its number. */
function operation(wire: Wire, plan: MessagePlan, serviceNumber: number, start: number, end: number): string | undefined {
  if (start >= end || wire.varint32(start, end) < 0) return undefined;
  const number = wire.lo >>> 3;
  if (number === 0) return undefined;
  const service = plan.dense[serviceNumber]?.message?.();
  const field = service ? (number < service.dense.length ? service.dense[number] : service.sparse?.get(number)) : undefined;
  return field ? field.name : String(number);
}

/** UUID form for 16 bytes, the text when printable, hex otherwise. */
export function trxForHumans(bytes: Buffer, start: number, end: number): string {
  if (end - start === 16) return uuidText(bytes, start);
  if (classifyText(bytes, start, end) === PLAIN_TEXT) return readUtf8Lossy(bytes, start, end);
  return hexString(bytes, start, end);
}

const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const DASH = 45;
const fromCharCode = String.fromCharCode;

/**
 * The 16 bytes at `s` as 8-4-4-4-12 lowercase hex: one string from its character codes,
 * a third of the time of hex text cut in five and joined again, which every /exec
 * exchange paid twice (its request's trx and its response's) on the recorder's thread.
 */
function uuidText(b: Buffer, s: number): string {
  return fromCharCode(
    HEX[b[s] >> 4], HEX[b[s] & 15], HEX[b[s + 1] >> 4], HEX[b[s + 1] & 15],
    HEX[b[s + 2] >> 4], HEX[b[s + 2] & 15], HEX[b[s + 3] >> 4], HEX[b[s + 3] & 15], DASH,
    HEX[b[s + 4] >> 4], HEX[b[s + 4] & 15], HEX[b[s + 5] >> 4], HEX[b[s + 5] & 15], DASH,
    HEX[b[s + 6] >> 4], HEX[b[s + 6] & 15], HEX[b[s + 7] >> 4], HEX[b[s + 7] & 15], DASH,
    HEX[b[s + 8] >> 4], HEX[b[s + 8] & 15], HEX[b[s + 9] >> 4], HEX[b[s + 9] & 15], DASH,
    HEX[b[s + 10] >> 4], HEX[b[s + 10] & 15], HEX[b[s + 11] >> 4], HEX[b[s + 11] & 15],
    HEX[b[s + 12] >> 4], HEX[b[s + 12] & 15], HEX[b[s + 13] >> 4], HEX[b[s + 13] & 15],
    HEX[b[s + 14] >> 4], HEX[b[s + 14] & 15], HEX[b[s + 15] >> 4], HEX[b[s + 15] & 15],
  );
}
