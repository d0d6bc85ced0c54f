// JSON paths as the codec writes them in FieldSpan ("auth.login.email", "errors[1]")
// and the mapping between those paths and byte ranges, both ways: selecting a field
// in the JSON tree highlights its bytes, clicking a byte selects its field. Shared by
// the inspector app and replay's diff and tokens; browser-safe: no Node imports.

import type { FieldSpan } from './types.ts';

/** Path of a child: `key` under an object, `[index]` under an array; the root is "". */
export function childPath(parent: string, key: string | number, parentIsArray: boolean): string {
  if (parentIsArray) return `${parent}[${key}]`;
  return parent === '' ? String(key) : `${parent}.${key}`;
}

/** "a.b[2]" → "a.b", "a.b" → "a", "a" → "": the enclosing value's path. */
export function parentPath(path: string): string {
  const bracket = path.endsWith(']') ? path.lastIndexOf('[') : -1;
  const dot = path.lastIndexOf('.');
  const cut = Math.max(bracket, dot);
  return cut < 0 ? '' : path.slice(0, cut);
}

/** Finds spans by path and by byte offset. */
export class SpanIndex {
  private readonly byPath = new Map<string, FieldSpan>();
  /** Sorted by size ascending so the first hit for an offset is the innermost field. */
  private readonly bySize: FieldSpan[];

  constructor(spans: FieldSpan[]) {
    for (const span of spans) {
      const known = this.byPath.get(span.path);
      // A repeated scalar sent unpacked can appear more than once; the union covers them all.
      if (known) this.byPath.set(span.path, { path: span.path, start: Math.min(known.start, span.start), end: Math.max(known.end, span.end) });
      else this.byPath.set(span.path, span);
    }
    this.bySize = [...spans].sort((a, b) => a.end - a.start - (b.end - b.start));
  }

  /** Whether the field at `path` itself has a span. */
  has(path: string): boolean {
    return this.byPath.has(path);
  }

  get size(): number {
    return this.byPath.size;
  }

  /**
   * The bytes of the field at `path`, or of its nearest ancestor that has a span (an
   * entry of a packed repeated field has none of its own); null when none has one.
   */
  forPath(path: string): FieldSpan | null {
    let current = path;
    for (;;) {
      const span = this.byPath.get(current);
      if (span) return span;
      if (current === '') return null;
      current = parentPath(current);
    }
  }

  /** The innermost field whose bytes contain `offset`, or null. */
  atOffset(offset: number): FieldSpan | null {
    for (const span of this.bySize) {
      if (offset >= span.start && offset < span.end) return span;
    }
    return null;
  }
}
