// The UI token, required by default on every address: the inspector shows every token
// and body that crossed the proxy. A request proves it knows the token with
// `Authorization: Bearer …`, with the cookie that opening the printed link sets, or, for
// the live stream, in socket.io's `auth: { token }`.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export function generateUiToken(): string {
  return randomBytes(18).toString('base64url');
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const missingTokenMessage =
  'This inspector needs its token: open the link printed when the proxy started (it ends in ?token=…), or send Authorization: Bearer <token>.';
export const wrongTokenMessage =
  "The token given is not this inspector's: a new one is made each run unless --ui-token is set. Open the link the proxy printed when it last started.";

/**
 * Cookies are kept per host, not per port, and a page on any port of the same host may
 * set one. A name it could guess would let it plant a cookie of that name (with
 * Path=/api, which the browser sends first) and lock the user out; so the name comes from
 * the token, which such a page does not know. Two inspectors with different tokens keep
 * their cookies apart by the same means.
 */
export function cookieName(token: string): string {
  return `ca2-inspector-${createHash('sha256').update(`cookie name:${token}`).digest('hex').slice(0, 20)}`;
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class UiToken {
  private readonly cookie: string;

  constructor(private readonly expected: string) {
    this.cookie = cookieName(expected);
  }

  /** null when the request carries the token; otherwise the status and sentence to answer with. */
  refusal(given: unknown): { status: 401 | 403; message: string } | null {
    if (given === undefined || given === null || given === '') return { status: 401, message: missingTokenMessage };
    return tokenMatches(this.expected, given) ? null : { status: 403, message: wrongTokenMessage };
  }

  /** The token a request offers: the Authorization header first, then the cookie. */
  fromRequest(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length);
    return cookieValue(req, this.cookie);
  }

  /**
   * Opening the printed link (`?token=…`) stores the token in an HttpOnly, SameSite=Strict
   * cookie, so reloads and new tabs work and no script, the app's included, can read it.
   */
  setCookieFromLink(req: IncomingMessage, res: ServerResponse): void {
    const linked = new URL(req.url ?? '/', 'http://inspector').searchParams.get('token');
    if (linked === null || !tokenMatches(this.expected, linked)) return;
    res.appendHeader('Set-Cookie', `${this.cookie}=${linked}; Path=/; HttpOnly; SameSite=Strict`);
  }
}
