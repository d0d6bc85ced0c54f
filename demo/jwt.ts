// HS256 JSON Web Tokens with node:crypto: all the demo needs, nothing more.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface JwtClaims {
  /** The user id. */
  sub: string;
  /** Seconds since the epoch. */
  iat: number;
  exp: number;
  /** Tells apart tokens issued to one user in the same second, so logging out one leaves the other. */
  jti?: string;
}

const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export function signJwt(claims: JwtClaims, secret: string): string {
  const unsigned = `${header}.${base64url(JSON.stringify(claims))}`;
  return `${unsigned}.${signature(unsigned, secret)}`;
}

/** The claims of a token signed with `secret`, or null for anything else. Expiry is the caller's call. */
export function verifyJwt(token: string, secret: string): JwtClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [head, payload, sig] = parts;
  const expected = Buffer.from(signature(`${head}.${payload}`, secret));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    if (JSON.parse(Buffer.from(head, 'base64url').toString()).alg !== 'HS256') return null;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Partial<JwtClaims>;
    if (typeof claims.sub !== 'string' || typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return null;
    return claims as JwtClaims;
  } catch {
    return null;
  }
}

function signature(unsigned: string, secret: string): string {
  return createHmac('sha256', secret).update(unsigned).digest('base64url');
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
