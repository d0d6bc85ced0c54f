// Token facts for the summary: a JWT's claims are read without verifying the
// signature (the inspector only shows who called and whether the token had
// expired; it never trusts it).

import type { JwtFacts, TokenFacts } from '../model/types.ts';

export function tokenFacts(token: string, now: number): TokenFacts {
  const facts: TokenFacts = { present: token.length > 0, length: token.length };
  const jwt = readJwt(token, now);
  if (jwt) facts.jwt = jwt;
  return facts;
}

function readJwt(token: string, now: number): JwtFacts | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const header = jsonPart(parts[0]);
  const claims = jsonPart(parts[1]);
  if (!header || !claims || typeof header.alg !== 'string') return null;
  const facts: JwtFacts = {};
  if (typeof claims.sub === 'string') facts.sub = claims.sub;
  else if (typeof claims.sub === 'number') facts.sub = String(claims.sub);
  if (typeof claims.iat === 'number') facts.iat = claims.iat;
  if (typeof claims.exp === 'number') {
    facts.exp = claims.exp;
    facts.expired = claims.exp * 1000 <= now;
  }
  return facts;
}

function jsonPart(part: string): Record<string, unknown> | null {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(part)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
