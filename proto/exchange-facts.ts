// What an exchange's bytes say about it under one schema: which message type each body
// is, and the summary facts (service, operation, trx, errors, token, problems) the list
// shows and filters on. The recorder computes them as traffic passes; storage computes
// them again from the stored bytes when the schema changes, so both must use these.

import { tokenPrefixLength, type DecodeProblem, type DecodeResult, type ExchangeKind, type FrameDirection, type HeaderList, type JsonObject, type MessageSummary, type MessageType, type TokenRef } from '../model/types.ts';
import { checkExec, WsConversationCheck } from './checks.ts';
import type { Codec } from './codec.ts';
import { headerValue, headerValues } from '../model/headers.ts';
import { noFacts, type FlowFacts } from '../model/flow.ts';


/**
 * A WebSocket whose every frame is a problem (a schema that does not fit) would otherwise
 * grow its row with each frame, and each write of the row with it: past this many the
 * rest are counted in one last line.
 */
export const MAX_WS_PROBLEMS = 100;


export function requestType(kind: ExchangeKind): MessageType | null {
  return kind === 'exec' ? 'ClientRequest' : null;
}

/** The proxy's own 502/504 and upstream error pages are plain text, not ServerResponse. */
export function responseType(kind: ExchangeKind, headers: HeaderList, body: Uint8Array): MessageType | null {
  if (kind !== 'exec') return null;
  const type = headerValue(headers, 'content-type') ?? '';
  return type.includes('protobuf') || (type === '' && body.length > 0) ? 'ServerResponse' : null;
}

/** Binary frames carry protobuf; text frames are shown as they are. */
export function frameType(direction: FrameDirection, opcode: number): MessageType | null {
  if (opcode !== 2) return null;
  return direction === 'client' ? 'WsAuth' : 'WsEvent';
}

export interface ExecInput {
  requestHeaders: HeaderList;
  requestBody: Uint8Array;
  status: number | null;
  response: { headers: HeaderList; body: Uint8Array } | null;
  /** ms epoch to judge token expiry at: when the exchange started. */
  at: number;
}

export interface ExecMessages {
  request: DecodeResult;
  response: DecodeResult | null;
}

/**
 * The facts of one /exec exchange and the checks': from the envelopes' facts (Codec.facts)
 * when both are well-formed, as nearly all are, else from one decode of each (no spans),
 * whose problems then say what is wrong. Both give the same facts.
 */
export function execFacts(codec: Codec, input: ExecInput): FlowFacts {
  const type = input.response && responseType('exec', input.response.headers, input.response.body);
  const request = codec.facts('ClientRequest', input.requestBody, input.at);
  const response = request !== null && type ? codec.facts(type, input.response!.body, input.at) : null;
  if (request !== null && (type === null || response !== null)) {
    return factsOf(input.requestHeaders, input.status, request.summary, request.token, NO_PROBLEMS, response?.summary ?? null, NO_PROBLEMS);
  }
  const decoded = execMessages(codec, input);
  return execFactsOf(input.requestHeaders, input.status, decoded.request, decoded.response);
}

/**
 * What an /exec exchange's request alone says of its facts (service, operation, trx and
 * token), as execFacts works them out: from its facts when well-formed, else decoded.
 */
export function requestFacts(codec: Codec, body: Uint8Array, at: number): Pick<FlowFacts, 'service' | 'operation' | 'trx' | 'token'> {
  const facts = codec.facts('ClientRequest', body, at);
  if (facts !== null) return { service: facts.summary.service ?? null, operation: facts.summary.operation ?? null, trx: facts.summary.trx ?? null, token: tokenRef(facts.summary, facts.token) };
  const { service, operation, trx, token } = execFactsOf([], null, codec.decode('ClientRequest', body, { spans: false, now: at }), null);
  return { service, operation, trx, token };
}

/** The envelopes execFacts works the facts out from, as FlowDecoder decodes them for a detail without spans. */
export function execMessages(codec: Codec, input: ExecInput): ExecMessages {
  const options = { spans: false, now: input.at };
  const request = codec.decode('ClientRequest', input.requestBody, options);
  const type = input.response && responseType('exec', input.response.headers, input.response.body);
  const response = type ? codec.decode(type, input.response!.body, options) : null;
  return { request, response };
}

/** The same from envelopes already decoded (no spans needed), for a caller that needs them too. */
export function execFactsOf(requestHeaders: HeaderList, status: number | null, request: DecodeResult, response: DecodeResult | null): FlowFacts {
  return factsOf(requestHeaders, status, request.summary, jsonToken(request), request.problems, response?.summary ?? null, response?.problems ?? NO_PROBLEMS);
}

/** The decoded JSON's `token`, '' when it has none: the text Codec.facts gives as `token`. */
function jsonToken(decoded: DecodeResult): string {
  const token = (decoded.json as JsonObject).token;
  return typeof token === 'string' ? token : '';
}

const NO_PROBLEMS: DecodeProblem[] = [];

function factsOf(
  requestHeaders: HeaderList,
  status: number | null,
  request: MessageSummary,
  token: string,
  requestProblems: DecodeProblem[],
  response: MessageSummary | null,
  responseProblems: DecodeProblem[],
): FlowFacts {
  return {
    service: request.service ?? null,
    operation: request.operation ?? null,
    trx: request.trx ?? response?.trx ?? null,
    errors: response?.errors ?? [],
    token: tokenRef(request, token),
    problems: execProblems(requestHeaders, status, request, requestProblems, response, responseProblems),
  };
}

/** The envelopes' decode problems, then the checks': built without spreads, as most exchanges have none. */
function execProblems(requestHeaders: HeaderList, status: number | null, request: MessageSummary, requestProblems: DecodeProblem[], response: MessageSummary | null, responseProblems: DecodeProblem[]): string[] {
  const problems = checkExec({ contentType: headerValue(requestHeaders, 'content-type'), httpStatus: status, request, response });
  if (requestProblems.length === 0 && responseProblems.length === 0) return problems;
  return [...problemTexts('request', requestProblems), ...problemTexts('response', responseProblems), ...problems];
}

/**
 * The facts the envelopes' summaries give without decoding them (Codec.summarize): service,
 * operation, trx and errors. No token and no problems: those need the messages decoded.
 */
export function summaryFacts(request: MessageSummary | null, response: MessageSummary | null): FlowFacts {
  const facts = noFacts();
  facts.service = request?.service ?? null;
  facts.operation = request?.operation ?? null;
  facts.trx = request?.trx ?? response?.trx ?? null;
  facts.errors = response?.errors ?? [];
  return facts;
}

export interface FrameInput {
  seq: number;
  direction: FrameDirection;
  opcode: number;
  body: Uint8Array;
  at: number;
}

/** The facts of a WebSocket, fed its frames in order and then its close. */
export class WsFacts {
  readonly facts = noFacts();
  private readonly check = new WsConversationCheck();
  private moreProblems = 0;

  constructor(private readonly codec: Codec) {}

  /** Decodes the frame (no spans) and adds what it says; `changed` tells whether the facts moved. */
  frame(frame: FrameInput): { decoded: DecodeResult | null; changed: boolean } {
    const decoded = this.decode(frame);
    const problems = [
      ...problemTexts(`frame ${frame.seq}`, decoded?.problems ?? NO_PROBLEMS),
      ...this.check.onFrame({ direction: frame.direction, opcode: frame.opcode, decoded, at: frame.at }),
    ];
    let changed = problems.length > 0;
    this.addProblems(problems);
    if (decoded && frame.direction === 'client' && !this.facts.token) {
      this.facts.token = tokenRef(decoded.summary, jsonToken(decoded));
      changed ||= this.facts.token !== null;
    }
    if (frame.direction === 'server') {
      for (const error of decoded?.summary.errors ?? []) {
        if (!this.facts.errors.includes(error)) {
          this.facts.errors.push(error);
          changed = true;
        }
      }
    }
    return { decoded, changed };
  }

  /** The frame decoded, without adding it to the conversation (one a rule dropped never reached the other side). */
  decode(frame: FrameInput): DecodeResult | null {
    const type = frameType(frame.direction, frame.opcode);
    return type ? this.codec.decode(type, frame.body, { spans: false, now: frame.at }) : null;
  }

  /** The upgrade's answer, checked once before any frame: a subprotocol offered and none selected. */
  upgrade(requestHeaders: HeaderList, responseHeaders: HeaderList): void {
    const offered = headerValues(requestHeaders, 'sec-websocket-protocol').flatMap((v) => v.split(',').map((p) => p.trim()).filter((p) => p !== ''));
    this.addProblems(this.check.onUpgrade({ offeredProtocols: offered, selectedProtocol: headerValue(responseHeaders, 'sec-websocket-protocol') }));
  }

  close(close: { by: 'client' | 'server' | 'proxy'; at: number }): void {
    this.addProblems(this.check.onClose(close));
  }

  private addProblems(problems: string[]): void {
    for (const problem of problems) {
      if (this.facts.problems.length < MAX_WS_PROBLEMS) {
        this.facts.problems.push(problem);
      } else {
        this.moreProblems += 1;
        this.facts.problems[MAX_WS_PROBLEMS] = `and ${this.moreProblems} more problems in later frames`;
      }
    }
  }
}

function problemTexts(where: string, problems: DecodeProblem[]): string[] {
  return problems.map((p) => `${where}: at byte ${p.offset}${p.path ? ` (${p.path})` : ''}: ${p.reason}`);
}

/** The token's reference, from the summary's facts about it and its text: the JSON's `token`, '' when it has none. */
function tokenRef(summary: MessageSummary, token: string): TokenRef | null {
  const facts = summary.token;
  if (!facts?.present || token === '') return null;
  // Its fields only when known, in this order (the list's JSON), set one by one: conditional spreads cost more than the rest of the facts.
  const ref: TokenRef = { prefix: token.slice(0, tokenPrefixLength) };
  const jwt = facts.jwt;
  if (jwt?.sub !== undefined) ref.sub = jwt.sub;
  if (jwt?.exp !== undefined) ref.exp = jwt.exp;
  if (jwt?.expired !== undefined) ref.expired = jwt.expired;
  return ref;
}
