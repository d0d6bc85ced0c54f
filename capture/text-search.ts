// Many fixed texts searched for at once, in time that follows the length of what is
// searched and not how many texts there are: every form of every token an export learned
// (capture/token-forms.ts), hundreds of texts of hundreds of characters for a few dozen
// JWTs. A regular expression alternating them tried each at every place, so an export
// slowed down in proportion to the tokens it held (40 sessions: 17 ms an exchange).
//
// Each text is found by its first characters: a rolling hash of that many characters is
// kept along the searched text, looked up in a bitmap, and only where the bitmap says a
// text may start are the texts starting so compared whole.

/** Where a text was found, and which. */
export interface Found {
  index: number;
  text: string;
}

/** How many leading characters of each text are hashed: the search is exact below that too, just slower. */
const PREFIX = 8;
const BITMAP_BITS = 18;
const MASK = (1 << BITMAP_BITS) - 1;
const BASE = 0x01000193;

export class TextSearch {
  /** How many characters the rolling hash covers: PREFIX, or the shortest text if shorter. */
  private readonly width: number;
  /** BASE to the power width - 1: what the character leaving the window weighs. */
  private readonly outWeight: number;
  private readonly bitmap = new Uint8Array(1 << (BITMAP_BITS - 3));
  /** The texts starting with each hashed prefix, longest first. */
  private readonly byHash = new Map<number, string[]>();

  constructor(texts: readonly string[]) {
    const unique = [...new Set(texts)].filter((t) => t.length > 0);
    this.width = Math.min(PREFIX, ...unique.map((t) => t.length));
    let weight = 1;
    for (let i = 1; i < this.width; i++) weight = Math.imul(weight, BASE);
    this.outWeight = weight;
    for (const text of unique) {
      const hash = this.hashAt(text, 0);
      this.bitmap[(hash & MASK) >>> 3] |= 1 << (hash & 7);
      const list = this.byHash.get(hash) ?? [];
      list.push(text);
      this.byHash.set(hash, list);
    }
    for (const list of this.byHash.values()) list.sort((a, b) => b.length - a.length);
  }

  /**
   * Every text found, leftmost first; of several starting at one place, the longest. The
   * search goes on after each: what a regular expression alternating the texts, longest
   * first, finds with the g flag.
   */
  *matches(text: string): Generator<Found> {
    for (let from = 0; ; ) {
      const found = this.next(text, from);
      if (found === null) return;
      yield found;
      from = found.index + found.text.length;
    }
  }

  /** The first text found at or after `from`, or null. */
  next(text: string, from = 0): Found | null {
    const { width, bitmap, outWeight } = this;
    if (this.byHash.size === 0 || text.length - from < width) return null;
    let hash = this.hashAt(text, from);
    const last = text.length - width;
    for (let at = from; ; at++) {
      if ((bitmap[(hash & MASK) >>> 3] & (1 << (hash & 7))) !== 0) {
        const candidates = this.byHash.get(hash);
        if (candidates !== undefined) {
          for (const candidate of candidates) if (text.startsWith(candidate, at)) return { index: at, text: candidate };
        }
      }
      if (at === last) return null;
      hash = (Math.imul(hash - Math.imul(text.charCodeAt(at), outWeight), BASE) + text.charCodeAt(at + width)) | 0;
    }
  }

  private hashAt(text: string, at: number): number {
    let hash = 0;
    for (let i = at; i < at + this.width; i++) hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
    return hash;
  }
}
