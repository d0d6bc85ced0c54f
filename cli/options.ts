// Parsers for the values command-line options take; each failure is a UserError sentence.

import { FilterError, parseFilter } from '../model/filter.ts';
import { UserError } from '../model/user-error.ts';

export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new UserError(`${flag} takes HOST:PORT (like 127.0.0.1:8080) or a port; got "${value}".`);
  }
  return { host: match[1] || match[2] || '127.0.0.1', port };
}

export function parseUpstream(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UserError(`--upstream takes a URL like https://api.example.com; got "${value}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`--upstream must be an http:// or https:// URL; got "${value}".`);
  }
  return url;
}

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1024, kb: 1024, kib: 1024,
  m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
};

/** "16MiB", "512kb", "1048576": sizes in bytes, binary units whatever the spelling. */
export function parseSize(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new UserError(`${flag} takes a size like 16MiB, 512kb or 1048576; got "${value}".`);
  }
  return Math.floor(Number(match[1]) * unit);
}

/** A --filter value checked before any work is done, so its mistake is said first. */
export function checkFilter(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    parseFilter(value);
  } catch (err) {
    if (err instanceof FilterError) throw new UserError(`--filter ${err.message}`);
    throw err;
  }
  return value;
}
