// The tokens the redactor has learned and the placeholder each one becomes: the same token
// always gives the same placeholder within one export, so correlation survives, and no
// placeholder says anything about its token (an HMAC under a key made per export). A JWT
// stays a JWT, its header and claims kept (or the claims replaced by a pseudonymous sub).

import { createHmac, randomBytes } from 'node:crypto';
import { isJwt } from '../model/jwt.ts';
import { formIndex, type FormIndex } from './token-forms.ts';

/** Shorter learned values are replaced where they stand but not searched for elsewhere: "1" would match everywhere. */
export const MIN_SEARCHED_LENGTH = 8;

export class Placeholders {
  private readonly key = randomBytes(32);
  private readonly byToken = new Map<string, string>();
  private readonly sameLength = new Map<string, string>();
  private readonly made = new Set<string>();
  /** Learned tokens long enough to search for. */
  readonly searched: string[] = [];
  /** Every form of every searched token; made again once more are learned. */
  private index: FormIndex | null = null;

  /** With stripClaims, a JWT's placeholder carries a pseudonymous sub instead of its claims. */
  constructor(private readonly stripClaims: boolean) {}

  /** How many tokens are learned. */
  get size(): number {
    return this.byToken.size;
  }

  /** Every learned token. */
  tokens(): IterableIterator<string> {
    return this.byToken.keys();
  }

  has(token: string): boolean {
    return this.byToken.has(token);
  }

  /** Whether `text` is a placeholder made here: text already replaced. */
  isPlaceholder(text: string): boolean {
    return this.made.has(text);
  }

  /** Every form of every searched token, or null while there are none. */
  forms(): FormIndex | null {
    return (this.index ??= formIndex(this.searched));
  }

  /** The token's placeholder, learning the token first when it is new. */
  of(token: string): string {
    let found = this.byToken.get(token);
    if (found === undefined) {
      found = this.make(token);
      this.byToken.set(token, found);
      this.made.add(found);
      if (token.length >= MIN_SEARCHED_LENGTH) {
        this.searched.push(token);
        this.index = null;
      }
    }
    return found;
  }

  /** ASCII, as many bytes as the token: for a close reason, and inside base64 and hex, where lengths must hold. */
  sameLengthOf(token: string): string {
    let found = this.sameLength.get(token);
    if (found === undefined) {
      const hex = this.digest(token).toString('hex');
      found = `redacted-${hex}`.padEnd(Buffer.byteLength(token), hex).slice(0, Buffer.byteLength(token));
      this.sameLength.set(token, found);
    }
    return found;
  }

  private make(token: string): string {
    const digest = this.digest(token);
    if (isJwt(token)) {
      const [header, claims] = token.split('.');
      const keptClaims = this.stripClaims ? Buffer.from(JSON.stringify({ sub: `redacted-${digest.toString('hex', 0, 4)}` })).toString('base64url') : claims;
      return `${header}.${keptClaims}.redacted${digest.toString('base64url', 0, 12)}`;
    }
    return `redacted-${digest.toString('hex', 0, 8)}`;
  }

  private digest(token: string): Buffer {
    return createHmac('sha256', this.key).update(token).digest();
  }
}
