// What a recording holds that cannot be sent again as recorded, in its nearest valid form.
// The proxy never records such things, but a hand-edited or foreign capture can hold them,
// and Node and ws throw on them when the answer is written: checked once, on load, so each
// answer is known good and each change is said once, naming the exchange.

import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { HeaderList } from '../model/types.ts';

/** What a recorded status the mock cannot send becomes: the upstream gave no valid answer. */
const INVALID_STATUS_ANSWER = 502;
/** What a recorded close code the mock cannot send becomes: a server error. */
const INVALID_CLOSE_CODE = 1011;
/** A close frame's payload is at most 125 bytes, two of them the code (RFC 6455 §5.5). */
const MAX_CLOSE_REASON_BYTES = 123;

export interface Mended<T> {
  value: T;
  /** "status 1000 is not an HTTP status, answered 502 instead"; empty when nothing changed. */
  changes: string[];
}

export function mendAnswer(status: number, headers: HeaderList): Mended<{ status: number; headers: HeaderList }> {
  const changes: string[] = [];
  // Only a final status: a 1xx would leave the client waiting for the real answer.
  const validStatus = Number.isInteger(status) && status >= 200 && status <= 599;
  if (!validStatus) changes.push(`status ${status} is not an HTTP status, answered ${INVALID_STATUS_ANSWER} instead`);
  const kept: HeaderList = [];
  for (const [name, value] of headers) {
    const problem = headerProblem(name, value);
    if (problem) changes.push(`header ${JSON.stringify(name)} dropped: ${problem}`);
    else kept.push([name, value]);
  }
  return { value: { status: validStatus ? status : INVALID_STATUS_ANSWER, headers: kept }, changes };
}

function headerProblem(name: string, value: string): string | null {
  try {
    validateHeaderName(name);
  } catch {
    return 'the name is not a header name (a token: no spaces, colons or control characters)';
  }
  try {
    validateHeaderValue(name, value);
  } catch {
    return 'its value holds characters a header cannot carry (CR, LF or another control character)';
  }
  return null;
}

/** A close the server sent; 1005 and 1006 (no code, no close frame) stay: the mock plays them as such. */
export function mendClose(code: number | null, reason: string): Mended<{ code: number | null; reason: string }> {
  const changes: string[] = [];
  let sent = code;
  if (code !== null && code !== 1005 && code !== 1006 && !sendableCloseCode(code)) {
    changes.push(`close code ${code} cannot be sent, closed with ${INVALID_CLOSE_CODE} instead`);
    sent = INVALID_CLOSE_CODE;
  }
  const bytes = Buffer.from(reason);
  let cut = reason;
  if (bytes.length > MAX_CLOSE_REASON_BYTES) {
    let end = MAX_CLOSE_REASON_BYTES;
    // Back off to the start of a character: UTF-8 continuation bytes are 10xxxxxx.
    while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
    cut = bytes.subarray(0, end).toString();
    changes.push(`close reason of ${bytes.length} bytes is over the ${MAX_CLOSE_REASON_BYTES} a close frame holds, cut to ${end}`);
  }
  return { value: { code: sent, reason: cut }, changes };
}

/** The codes an endpoint may send (RFC 6455 §7.4): 1000–1014 but the reserved 1004–1006, and 3000–4999. */
function sendableCloseCode(code: number): boolean {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1014 && (code < 1004 || code > 1006)) || (code >= 3000 && code <= 4999));
}
