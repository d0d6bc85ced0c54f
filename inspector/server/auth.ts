// The UI token: needed when the inspector listens beyond loopback, because it shows
// every token and body that crossed the proxy.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response, NextFunction } from 'express';

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

/** The token from `Authorization: Bearer …`, or from `?token=` for links opened by hand. */
function requestToken(req: Request): unknown {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length);
  return req.query.token;
}

export function requireToken(expected: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (tokenMatches(expected, requestToken(req))) return next();
    res.status(401).json({
      error: 'This inspector needs its token: open the link printed when the proxy started, or send Authorization: Bearer <token>.',
    });
  };
}
