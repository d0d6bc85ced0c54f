// What went wrong with an exchange, as the tap records it and as the client reads it in
// the proxy's own 502/504 answer: one sentence that names the upstream and, where there is
// one, the fix.

import type { FlowError, FlowErrorKind } from '../model/flow.ts';

export interface Failure extends FlowError {
  /** The status the client gets when no response has started yet. */
  status: 502 | 504;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Classifies an error raised by the upstream connection or request. */
export function upstreamFailure(err: Error & { code?: string }, upstream: string, responseStarted = false): Failure {
  const code = err.code ?? '';
  if (UNREACHABLE.has(code)) {
    const what =
      code === 'ECONNREFUSED'
        ? 'refused the connection; is the server running?'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'could not be resolved; check the host name in --upstream'
          : 'is unreachable';
    return failure('upstream-unreachable', 502, `upstream ${upstream} ${what} (${code})`);
  }
  if (isCertificateError(code)) {
    return failure(
      'upstream-tls',
      502,
      `upstream ${upstream} presented a certificate that failed verification: ${err.message} (${code}); pass --insecure to accept it`,
    );
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') {
    return failure('upstream-tls', 502, `TLS handshake with upstream ${upstream} failed: ${err.message} (${code}); is it really https?`);
  }
  if (RESET.has(code) || err.message === 'socket hang up' || err.message === 'aborted') {
    const when = responseStarted ? 'in the middle of the response' : 'before answering';
    return failure('upstream-reset', 502, `upstream ${upstream} closed the connection ${when} (${code || err.message})`);
  }
  if (code.startsWith('HPE_')) {
    return failure('proxy-error', 502, `upstream ${upstream} sent a response that is not valid HTTP: ${err.message} (${code})`);
  }
  return failure('proxy-error', 502, `forwarding to upstream ${upstream} failed: ${err.message}${code ? ` (${code})` : ''}`);
}

export function upstreamTimeout(upstream: string, ms: number, responseStarted = false): Failure {
  const what = responseStarted ? 'stopped sending the response for' : 'did not answer within';
  return failure('upstream-timeout', 504, `upstream ${upstream} ${what} ${formatSeconds(ms)}`);
}

/** A 101 to a plain request: the upstream speaks another protocol now, which no HTTP client can be handed. */
export function upstreamSwitched(upstream: string, statusMessage = 'Switching Protocols'): Failure {
  return failure('proxy-error', 502, `upstream ${upstream} answered 101 ${statusMessage} to a request that asked for no upgrade; a client cannot be given that`);
}

export function clientAborted(detail: string): FlowError {
  return { kind: 'client-aborted', message: `the client ${detail}` };
}

/** The proxy ended an exchange itself, when shutting down past its grace period. */
export function endedByShutdown(graceMs: number): FlowError {
  return { kind: 'proxy-error', message: `the proxy was shutting down and ended the exchange after waiting ${formatSeconds(graceMs)}` };
}

function isCertificateError(code: string): boolean {
  return (
    code.includes('CERT') ||
    code === 'ERR_TLS_CERT_ALTNAME_INVALID' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'HOSTNAME_MISMATCH'
  );
}

function failure(kind: FlowErrorKind, status: 502 | 504, message: string): Failure {
  return { kind, status, message };
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${+(ms / 1000).toFixed(1)} s`;
}
