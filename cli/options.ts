// Parsers for the values command-line options take; each failure is a UserError sentence.

import { parseFilter } from '../model/filter.ts';
import { FilterError } from '../model/filter-error.ts';
import { UserError } from '../model/user-error.ts';
import { generateUiToken, isLoopback } from '../inspector/server/auth.ts';
import { DEFAULT_MAX_BODY } from '../proxy/context.ts';

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

/** --max-body, the same for every command that takes it. */
export function parseMaxBody(value: string | undefined): number {
  return value === undefined ? DEFAULT_MAX_BODY : parseSize(value, '--max-body');
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

/** The inspector's options, the same in every command that serves it (proxy, open). */
export const inspectorOptionSpecs = {
  ui: { type: 'string' },
  'ui-token': { type: 'string' },
  'ui-allow-host': { type: 'string', multiple: true },
} as const;

export const inspectorOptionsHelp = `  --ui HOST:PORT       where the inspector is served (default 127.0.0.1:8081)
  --ui-token TOKEN     the token the inspector requires (default: a new one each run,
                       printed in the inspector link); 'off' for none, loopback --ui only
  --ui-allow-host NAME another name the inspector may be reached by (NAME or NAME:PORT),
                       e.g. behind your own reverse proxy; repeat for more
`;

export interface InspectorOptions {
  ui: { host: string; port: number };
  /** null: no token (`--ui-token off`, loopback only). */
  uiToken: string | null;
  uiAllowHosts: string[];
}

export function parseInspectorOptions(values: { ui?: string; 'ui-token'?: string; 'ui-allow-host'?: string[] }): InspectorOptions {
  const ui = parseHostPort(values.ui ?? '127.0.0.1:8081', '--ui');
  return { ui, uiToken: parseUiToken(values['ui-token'], ui.host), uiAllowHosts: values['ui-allow-host'] ?? [] };
}

/** The token the inspector requires, or null for `--ui-token off`; see inspector/server/auth.ts. */
function parseUiToken(value: string | undefined, uiHost: string): string | null {
  if (value === undefined) return generateUiToken();
  if (value === 'off') {
    if (!isLoopback(uiHost)) {
      throw new UserError(`--ui-token off is refused with --ui ${uiHost}: anyone who can reach that address would see every token that crossed the proxy. Keep the token, or bind --ui to 127.0.0.1.`);
    }
    return null;
  }
  // It travels in a link and a cookie, so it must need no escaping in either.
  if (!/^[A-Za-z0-9._~-]+$/.test(value)) {
    throw new UserError(`--ui-token takes letters, digits and - _ . ~ only (it goes in a link and a cookie); got "${value}".`);
  }
  return value;
}

/** The link printed at start: it carries the token, which the page then keeps in a cookie. */
export function inspectorLink(address: { host: string; port: number }, token: string | null): string {
  return `http://${hostForUrl(address.host)}:${address.port}/${token ? `?token=${token}` : ''}`;
}

/** A host as it goes in a URL: IPv6 in brackets. */
export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
