// What a JWT is, decided in one place for the summary, the replay's comparison, the
// token carried forward, redaction and the inspector app: three base64url parts, the
// first a JSON header naming its alg, the second a JSON object of claims. The signature
// is never checked: the tool shows who called and when the token expires, and trusts
// nothing. No Node imports: the browser reads claims with it too.

export type JwtClaims = Record<string, unknown>;

/** The claims of a JWT, or null when the text is no JWT. */
export function readJwt(text: string): JwtClaims | null {
  // Most texts asked about are no JWT: they are told apart before anything is made of them.
  if (!text.startsWith('eyJ')) return null;
  const parts = text.split('.');
  if (parts.length !== 3 || !parts[0]!.startsWith('eyJ')) return null;
  const header = jsonPart(parts[0]!);
  if (!header || typeof header.alg !== 'string') return null;
  return jsonPart(parts[1]!);
}

export function isJwt(text: string): boolean {
  return readJwt(text) !== null;
}

/** One for every token: making a TextDecoder costs more than decoding a token's claims with it. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

function jsonPart(part: string): JwtClaims | null {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(part)) return null;
  try {
    const base64 = part.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const value: unknown = JSON.parse(utf8.decode(bytes));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JwtClaims) : null;
  } catch {
    return null;
  }
}
