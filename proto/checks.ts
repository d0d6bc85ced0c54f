// Protocol checks: what the ca2 "Getting started" document promises about an
// exchange, checked on what actually crossed the wire. Pure functions and a
// small state machine the proxy feeds; each problem is a short sentence.

import type { DecodeResult, MessageSummary } from '../model/types.ts';

const PROTOBUF = 'application/x-protobuf';

/** Checks one /exec exchange: the request as sent and the response as answered. */
export function checkExec(input: { contentType: string | undefined; httpStatus: number | null; request: MessageSummary | null; response: MessageSummary | null }): string[] {
  const problems: string[] = [];
  const { contentType, httpStatus, request, response } = input;
  // Nearly every request says it exactly: then no string is cut, trimmed or lowered.
  const mediaType = contentType === PROTOBUF ? PROTOBUF : contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType === undefined || mediaType === '') problems.push(`request has no content type; ca2 expects ${PROTOBUF}`);
  else if (mediaType !== PROTOBUF) problems.push(`request content type is ${contentType!.trim()}, not ${PROTOBUF}`);

  const requestTrx = request?.trx;
  if (request) {
    if (requestTrx === undefined) problems.push('request without trx');
    const service = request.service;
    if (service !== 'auth' && !request.token?.present) {
      problems.push(service ? `${service} request without token` : 'request without token');
    }
  }
  if (response) {
    const responseTrx = response.trx;
    if (requestTrx !== undefined && responseTrx !== requestTrx) {
      problems.push(responseTrx === undefined ? `response has no trx (request trx ${requestTrx})` : `response trx ${responseTrx} differs from request trx ${requestTrx}`);
    }
    const errors = response.errors;
    if (httpStatus !== null && httpStatus !== 200) {
      // ca2 reports failures as ServerErrors in a 200 response; a different status
      // means either both layers report (errors + status) or only HTTP does.
      if (errors.length > 0) problems.push(`response carries ${errors.join(', ')} with HTTP status ${httpStatus}; ca2 sends errors with status 200`);
      else problems.push(`HTTP status ${httpStatus} with no ServerError in the response`);
    }
  }
  return problems;
}

type WsPhase = 'awaiting-auth' | 'awaiting-first-event' | 'streaming' | 'errored' | 'reported';

const BINARY = 2;
const TEXT = 1;

/** One per /ws connection; feed the upgrade the upstream accepted, frames in relay order, then the close. */
export class WsConversationCheck {
  private phase: WsPhase = 'awaiting-auth';

  /**
   * A 101 may select none of the offered subprotocols: the proxy relays it so, and
   * clients that insist on one (as the ws library does) fail the connection themselves.
   */
  onUpgrade(handshake: { offeredProtocols: string[]; selectedProtocol: string | undefined }): string[] {
    const { offeredProtocols, selectedProtocol } = handshake;
    if (offeredProtocols.length === 0 || selectedProtocol !== undefined) return [];
    return [`the client offered the subprotocols ${offeredProtocols.join(', ')} and the upstream's 101 selected none`];
  }

  onFrame(frame: { direction: 'client' | 'server'; opcode: number; decoded: DecodeResult | null; at: number }): string[] {
    if (frame.opcode === TEXT) return [`text frame from the ${frame.direction}; ca2 sends protobuf in binary frames`];
    if (frame.opcode !== BINARY) return [];
    return frame.direction === 'client' ? this.clientFrame(frame.decoded) : this.serverFrame(frame.decoded);
  }

  onClose(close: { by: 'client' | 'server' | 'proxy'; at: number }): string[] {
    if (this.phase === 'errored' && close.by !== 'server') {
      this.phase = 'reported';
      return [`server kept the connection open after a WsEvent with errors; the ${close.by} closed it`];
    }
    return [];
  }

  private clientFrame(decoded: DecodeResult | null): string[] {
    if (this.phase !== 'awaiting-auth') return ['client frame after WsAuth; ca2 clients only send WsAuth'];
    this.phase = 'awaiting-first-event';
    return decoded && !decoded.summary.token?.present ? ['WsAuth without token'] : [];
  }

  private serverFrame(decoded: DecodeResult | null): string[] {
    const errors = decoded?.summary.errors ?? [];
    switch (this.phase) {
      case 'awaiting-auth':
        return ['server frame before the client sent WsAuth'];
      case 'awaiting-first-event':
        if (errors.length > 0) {
          this.phase = 'errored';
          return [];
        }
        this.phase = 'streaming';
        if (!decoded || decoded.problems.length > 0) return ['first server frame after WsAuth is not an empty WsEvent (it does not decode as one)'];
        if (Object.keys(decoded.json).length > 0) {
          return [`first server frame after WsAuth is not an empty WsEvent (it carries ${Object.keys(decoded.json).join(', ')})`];
        }
        return [];
      case 'streaming':
        if (errors.length > 0) this.phase = 'errored';
        return [];
      case 'errored':
        this.phase = 'reported';
        return ['server kept the connection open after a WsEvent with errors; it sent another frame'];
      default:
        return [];
    }
  }
}
