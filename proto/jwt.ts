// Token facts for the summary: a JWT's claims are read without verifying the
// signature (the inspector only shows who called and whether the token had
// expired; it never trusts it).

import type { JwtFacts, TokenFacts } from '../model/types.ts';
import { readJwt } from '../model/jwt.ts';

interface Claims {
  sub?: string;
  iat?: number;
  exp?: number;
}

/** A client sends the same token on every request: its claims are parsed once. */
const CACHE_SIZE = 256;
const claimsCache = new Map<string, Claims | null>();

export function tokenFacts(token: string, now: number): TokenFacts {
  const facts: TokenFacts = { present: token.length > 0, length: token.length };
  let claims = claimsCache.get(token);
  if (claims === undefined) {
    claims = readClaims(token);
    if (claimsCache.size >= CACHE_SIZE) claimsCache.delete(claimsCache.keys().next().value!);
    claimsCache.set(token, claims);
  }
  if (claims) {
    const jwt: JwtFacts = {};
    if (claims.sub !== undefined) jwt.sub = claims.sub;
    if (claims.iat !== undefined) jwt.iat = claims.iat;
    if (claims.exp !== undefined) {
      jwt.exp = claims.exp;
      jwt.expired = claims.exp * 1000 <= now;
    }
    facts.jwt = jwt;
  }
  return facts;
}

function readClaims(token: string): Claims | null {
  const payload = readJwt(token);
  if (!payload) return null;
  const claims: Claims = {};
  if (typeof payload.sub === 'string') claims.sub = payload.sub;
  else if (typeof payload.sub === 'number') claims.sub = String(payload.sub);
  if (typeof payload.iat === 'number') claims.iat = payload.iat;
  if (typeof payload.exp === 'number') claims.exp = payload.exp;
  return claims;
}
