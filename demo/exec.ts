// POST /exec: one ca2.ClientRequest in, one ca2.ServerResponse out, errors as the ca2 document describes.
//
// Every answer to POST /exec is a ServerResponse echoing the request's trx. A ca2 server
// reports errors inside the ServerResponse, not in the HTTP status, so every ServerError
// comes with HTTP 200 (the proxy's protocol checks flag any other pairing):
//
//   SE_TRX_REQUIRED_ERROR         trx missing or empty
//   SE_INVALID_TRX_ERROR          trx longer than 64 bytes
//   SE_TOKEN_REQUIRED_ERROR       no token, on anything but auth.login
//   SE_INVALID_TOKEN_ERROR        not a JWT signed by the demo, logged out, or unknown user
//   SE_EXPIRED_TOKEN_ERROR        JWT past its exp
//   SE_RATE_LIMIT_EXCEEDED_ERROR  too many requests for this token in the window (with Retry-After)
//   SE_INTERNAL_SERVER_ERROR      an operation failed, e.g. creating an instance named "boom"
//   SE_UNKNOWN_ERROR              no service or operation set
//
// Only bodies that cannot be a ClientRequest at all are refused at the HTTP level, with
// SE_UNKNOWN_ERROR: 400 when it does not parse, 413 over 1 MiB, 415 for a content type
// other than application/x-protobuf.
import type { IncomingMessage, ServerResponse as HttpResponse } from 'node:http';
import type { Fields, ServerErrorName, ServerResponse } from './messages.ts';
import type { RateLimiter } from './rate-limit.ts';
import { decodeMessage, encodeMessage } from './schema.ts';
import { publicOperations, services } from './services.ts';
import type { Sessions } from './sessions.ts';
import type { Account, DemoState } from './state.ts';

export const MAX_TRX_BYTES = 64;
const MAX_BODY_BYTES = 1024 * 1024;

export interface ExecContext {
  state: DemoState;
  sessions: Sessions;
  /** Null when rate limiting is off. */
  limiter: RateLimiter | null;
}

interface ClientRequest {
  trx?: Uint8Array;
  token?: string;
  [service: string]: unknown;
}

export function handleExec(req: IncomingMessage, res: HttpResponse, context: ExecContext): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) return reply(res, 413, { errors: ['SE_UNKNOWN_ERROR'] });
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/x-protobuf') return reply(res, 415, { errors: ['SE_UNKNOWN_ERROR'] });
    let request: ClientRequest;
    try {
      request = decodeMessage<ClientRequest>('ca2.ClientRequest', Buffer.concat(chunks));
    } catch {
      return reply(res, 400, { errors: ['SE_UNKNOWN_ERROR'] });
    }
    answer(request, res, context);
  });
}

function answer(request: ClientRequest, res: HttpResponse, context: ExecContext): void {
  const trx = request.trx && request.trx.length > 0 ? request.trx : undefined;
  const fail = (error: ServerErrorName, headers: Record<string, string> = {}) =>
    reply(res, 200, { trx, errors: [error] }, headers);

  if (!trx) return fail('SE_TRX_REQUIRED_ERROR');
  if (trx.length > MAX_TRX_BYTES) return fail('SE_INVALID_TRX_ERROR');

  const service = Object.keys(request).find((key) => key in services);
  const operations = service ? services[service] : undefined;
  const args = service ? (request[service] as Fields) : {};
  const operation = Object.keys(args).find((key) => operations && key in operations);
  if (!service || !operations || !operation) return fail('SE_UNKNOWN_ERROR');

  const now = Date.now();
  const token = request.token ?? '';
  let account: Account | undefined;
  if (!publicOperations.has(`${service}.${operation}`)) {
    const check = context.sessions.check(token, now);
    if ('error' in check) return fail(check.error);
    const waitMs = context.limiter?.take(token, now) ?? 0;
    if (waitMs > 0) return fail('SE_RATE_LIMIT_EXCEEDED_ERROR', { 'retry-after': String(Math.ceil(waitMs / 1000)) });
    account = context.state.account(check.userId);
  }

  let result: Fields;
  try {
    result = operations[operation]((args[operation] ?? {}) as Fields, { ...context, account, token, now });
  } catch {
    return fail('SE_INTERNAL_SERVER_ERROR');
  }
  reply(res, 200, { trx, [service]: { [operation]: result } });
}

function reply(res: HttpResponse, status: number, body: ServerResponse, headers: Record<string, string> = {}): void {
  const bytes = encodeMessage('ca2.ServerResponse', body);
  res.writeHead(status, { 'content-type': 'application/x-protobuf', 'content-length': bytes.length, ...headers });
  res.end(bytes);
}
