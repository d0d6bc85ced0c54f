// Demo tokens: issued at login, checked on every /exec call and WsAuth, revoked at logout.
import { randomBytes } from 'node:crypto';
import { signJwt, verifyJwt } from './jwt.ts';

/** Signs every demo token. Published on purpose: the demo client forges a stale token with it. */
export const DEMO_JWT_SECRET = 'ca2-demo: a published secret, for the demo server only';

export type TokenError = 'SE_TOKEN_REQUIRED_ERROR' | 'SE_INVALID_TOKEN_ERROR' | 'SE_EXPIRED_TOKEN_ERROR';
export type TokenCheck = { userId: string } | { error: TokenError };

export class Sessions {
  /** Logged-out tokens and when they would have expired (ms), so the list can be pruned. */
  private readonly revoked = new Map<string, number>();

  constructor(
    private readonly tokenTtlMs: number,
    private readonly userExists: (userId: string) => boolean,
  ) {}

  issue(userId: string, now: number): { token: string; expiresAtMs: number } {
    const iat = Math.floor(now / 1000);
    // exp counts whole seconds: rounded up, so a token lives at least its lifetime (rounded down, a 1 s one issued late in a second lived a few ms).
    const exp = Math.ceil((now + this.tokenTtlMs) / 1000);
    const token = signJwt({ sub: userId, iat, exp, jti: randomBytes(8).toString('hex') }, DEMO_JWT_SECRET);
    return { token, expiresAtMs: exp * 1000 };
  }

  check(token: string | undefined, now: number): TokenCheck {
    if (!token) return { error: 'SE_TOKEN_REQUIRED_ERROR' };
    const claims = verifyJwt(token, DEMO_JWT_SECRET);
    if (!claims) return { error: 'SE_INVALID_TOKEN_ERROR' };
    if (claims.exp * 1000 <= now) return { error: 'SE_EXPIRED_TOKEN_ERROR' };
    if (this.revoked.has(token) || !this.userExists(claims.sub)) return { error: 'SE_INVALID_TOKEN_ERROR' };
    return { userId: claims.sub };
  }

  revoke(token: string, now: number): void {
    for (const [old, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(old);
    const claims = verifyJwt(token, DEMO_JWT_SECRET);
    if (claims) this.revoked.set(token, claims.exp * 1000);
  }
}
