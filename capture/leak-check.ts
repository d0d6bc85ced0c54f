// The fail-closed check run before an export is written: every string of the output, and
// the bytes of every string that reads as base64, searched for every original token.

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** The first token found in `value` (any JSON-like value), or null. */
export function findToken(value: unknown, tokens: readonly string[]): string | null {
  if (tokens.length === 0) return null;
  if (typeof value === 'string') return findInString(value, tokens);
  if (value instanceof Uint8Array) return findInBytes(value, tokens);
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findToken(item, tokens);
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = findInString(key, tokens) ?? findToken(item, tokens);
      if (found !== null) return found;
    }
  }
  return null;
}

export function findInBytes(bytes: Uint8Array, tokens: readonly string[]): string | null {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const token of tokens) if (buffer.includes(token)) return token;
  return null;
}

function findInString(text: string, tokens: readonly string[]): string | null {
  for (const token of tokens) if (text.includes(token)) return token;
  if (text.length >= 4 && BASE64.test(text)) {
    const decoded = Buffer.from(text, /[-_]/.test(text) ? 'base64url' : 'base64');
    return findInBytes(decoded, tokens);
  }
  return null;
}
