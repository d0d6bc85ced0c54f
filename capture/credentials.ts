// Where credentials stand in an exchange, as the redactor (capture/redact.ts) learns them:
// names that say a value is a credential, the credential in an Authorization-like header,
// cookie values, the query and form parameters named for a credential, and the text of an
// auth response that reads as a token.

const CREDENTIAL_NAME = /token|key|secret|session|credential|signature/i;
/** Names of what describes a credential rather than holds it: its id, type, name, size or expiry. */
const DESCRIBES_CREDENTIAL = /(ids?|type|name|count|size|length|expires?|expiry|ttl|at|ms|url|uri)$/i;
const SESSION_ID = /sess(ion)?[_-]?id$/i;
/** Header names that say "auth" or "key" but hold a challenge or a handshake nonce, not a credential. */
const NOT_CREDENTIAL_HEADERS = new Set(['www-authenticate', 'proxy-authenticate', 'authentication-info', 'proxy-authentication-info', 'sec-websocket-key', 'sec-websocket-accept']);
/** 16 or more characters of a token's alphabet, letters and digits both. */
const TOKEN_LIKE = /^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9._~+/=-]{16,}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A field, parameter or header name whose value is a credential: it names a token, key, secret, session or signature, and not only its id, type or expiry. */
export function namesCredential(name: string): boolean {
  return CREDENTIAL_NAME.test(name) && (!DESCRIBES_CREDENTIAL.test(name) || SESSION_ID.test(name));
}

/** Text of an auth response that reads as a token (and is not a UUID, which names a thing). */
export function readsAsToken(text: string): boolean {
  return TOKEN_LIKE.test(text) && !UUID.test(text);
}

/**
 * Where a header's credential lies in its value: after the scheme of an Authorization-like
 * header (`Bearer  TOKEN` gives `TOKEN`, whatever the spaces), or the whole value, trimmed, of
 * a header named for a credential (`X-Api-Key`). Null for any other header, and for cookies.
 */
export function credentialSpan(name: string, value: string): [number, number] | null {
  const lower = name.toLowerCase();
  if (lower === 'cookie' || lower === 'set-cookie' || NOT_CREDENTIAL_HEADERS.has(lower)) return null;
  if (!lower.includes('auth') && !namesCredential(lower)) return null;
  const start = value.length - value.trimStart().length;
  const end = value.trimEnd().length;
  if (start >= end) return null;
  const scheme = lower.includes('auth') ? /^(\S+\s+)\S/.exec(value.slice(start, end)) : null;
  return [start + (scheme ? scheme[1].length : 0), end];
}

/** The values of a Cookie header's pairs, or of a Set-Cookie header's one. */
export function cookieValues(name: string, value: string): string[] {
  const lower = name.toLowerCase();
  if (lower !== 'cookie' && lower !== 'set-cookie') return [];
  const pairs = lower === 'cookie' ? value.split(/;\s*/) : [value.split(';')[0]];
  return pairs.filter((pair) => pair.includes('=')).map((pair) => pair.slice(pair.indexOf('=') + 1)).filter((v) => v !== '');
}

/** The query parameters named for a credential, decoded. */
export function credentialParams(path: string): [string, string][] {
  const query = path.indexOf('?');
  if (query < 0) return [];
  return path
    .slice(query + 1)
    .split('&')
    .map((param): [string, string] => {
      const eq = param.indexOf('=');
      return eq < 0 ? [safeDecode(param), ''] : [safeDecode(param.slice(0, eq)), safeDecode(param.slice(eq + 1))];
    })
    .filter(([name, value]) => value !== '' && namesCredential(name));
}

/** Percent-decoded, or as it is when it does not decode. */
export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
