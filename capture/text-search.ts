// Many fixed texts searched for at once, in time that follows the length of what is
// searched and not how many texts there are: every form of every token an export learned
// (capture/token-forms.ts), hundreds of texts of hundreds of characters for a few dozen
// JWTs. A regular expression alternating them tried each at every place, so an export
// slowed down in proportion to the tokens it held (40 sessions: 17 ms an exchange).
//
// The search skips ahead as Wu-Manber does: it looks at the last few characters of a
// window as long as the shortest text, and where those characters end no text's start
// within the window, the window moves on by as much as that rules out, most of its width.
// Only where a text may start is its start looked up: a hash of its first characters in a
// bitmap, then the texts starting so compared whole.

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
/** The widest window: more makes longer skips, but fills the shift table with more of each text's blocks. */
const MAX_WINDOW = 32;
/** Characters in a block, the unit the skip is decided on. */
const BLOCK = 3;
const SHIFT_BITS = 16;
const SHIFT_MASK = (1 << SHIFT_BITS) - 1;

export class TextSearch {
  /** How many characters the hash of a start covers: PREFIX, or the shortest text if shorter. */
  private readonly width: number;
  private readonly bitmap = new Uint8Array(1 << (BITMAP_BITS - 3));
  /** The texts starting with each hashed prefix, longest first. */
  private readonly byHash = new Map<number, string[]>();
  /** The window: the shortest text's length, at most MAX_WINDOW. */
  private readonly window: number;
  /** Characters per block: BLOCK, or the window if narrower. */
  private readonly block: number;
  /**
   * By the hash of a block: how far the window may move when it ends with that block,
   * the least over every text whose first `window` characters hold it (0: a text may
   * start where the window does). Blocks no text holds move it window - block + 1.
   */
  private readonly shifts = new Uint8Array(1 << SHIFT_BITS);

  constructor(texts: readonly string[]) {
    const unique = [...new Set(texts)].filter((t) => t.length > 0);
    const shortest = Math.min(...unique.map((t) => t.length));
    this.width = Math.min(PREFIX, shortest);
    this.window = Math.min(MAX_WINDOW, shortest);
    this.block = Math.min(BLOCK, this.window);
    this.shifts.fill(this.window - this.block + 1);
    for (const text of unique) {
      const hash = this.hashAt(text, 0);
      this.bitmap[(hash & MASK) >>> 3] |= 1 << (hash & 7);
      const list = this.byHash.get(hash) ?? [];
      list.push(text);
      this.byHash.set(hash, list);
      for (let end = this.block; end <= this.window; end++) {
        const at = blockHash(text, end, this.block);
        this.shifts[at] = Math.min(this.shifts[at], this.window - end);
      }
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
    const { window, block, shifts, bitmap, byHash } = this;
    if (byHash.size === 0) return null;
    // The window is text[at, at + window): no text, all at least that long, starts past `last`.
    const last = text.length - window;
    for (let at = from; at <= last; ) {
      const shift = shifts[blockHash(text, at + window, block)];
      if (shift !== 0) {
        at += shift;
        continue;
      }
      const hash = this.hashAt(text, at);
      if ((bitmap[(hash & MASK) >>> 3] & (1 << (hash & 7))) !== 0) {
        const candidates = byHash.get(hash);
        if (candidates !== undefined) {
          for (const candidate of candidates) {
            // Forms of tokens alike (JWTs of one header and claims, and the placeholders that keep them) differ at their end: looked at first.
            const end = at + candidate.length - 1;
            if (text.charCodeAt(end) === candidate.charCodeAt(candidate.length - 1) && text.startsWith(candidate, at)) return { index: at, text: candidate };
          }
        }
      }
      at++;
    }
    return null;
  }

  private hashAt(text: string, at: number): number {
    let hash = 0;
    for (let i = at; i < at + this.width; i++) hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
    return hash;
  }
}

/** The hash of the `block` characters ending before `end`. */
function blockHash(text: string, end: number, block: number): number {
  let hash = 0;
  for (let i = end - block; i < end; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return (hash ^ (hash >>> SHIFT_BITS)) & SHIFT_MASK;
}
