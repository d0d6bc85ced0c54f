// JSON paths as the codec writes them in FieldSpans ("auth.login.email", "errors[1]")
// and the mapping between those paths and byte ranges, both ways: selecting a field
// in the JSON tree highlights its bytes, clicking a byte selects its field. Shared by
// the inspector app and replay's diff and tokens; browser-safe: no Node imports.

import type { FieldSpan, FieldSpans } from './types.ts';

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
  /** Path to the index of its first span. */
  private readonly byPath = new Map<string, number>();
  /** The ranges, a path's first one widened to cover its later ones. */
  private readonly ranges: number[];
  /** Span indexes sorted by size ascending so the first hit for an offset is the innermost field. */
  private readonly bySize: number[];

  constructor(private readonly spans: FieldSpans) {
    const { paths, ranges } = spans;
    this.ranges = ranges.slice();
    for (let i = 0; i < paths.length; i++) {
      const known = this.byPath.get(paths[i]);
      // A repeated scalar sent unpacked can appear more than once; the union covers them all.
      if (known === undefined) this.byPath.set(paths[i], i);
      else {
        this.ranges[2 * known] = Math.min(this.ranges[2 * known], ranges[2 * i]);
        this.ranges[2 * known + 1] = Math.max(this.ranges[2 * known + 1], ranges[2 * i + 1]);
      }
    }
    const size = (i: number) => ranges[2 * i + 1] - ranges[2 * i];
    this.bySize = Array.from(paths, (_, i) => i).sort((a, b) => size(a) - size(b));
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
      const index = this.byPath.get(current);
      if (index !== undefined) return { path: current, start: this.ranges[2 * index], end: this.ranges[2 * index + 1] };
      if (current === '') return null;
      current = parentPath(current);
    }
  }

  /** The innermost field whose bytes contain `offset`, or null. */
  atOffset(offset: number): FieldSpan | null {
    const { paths, ranges } = this.spans;
    for (const i of this.bySize) {
      if (offset >= ranges[2 * i] && offset < ranges[2 * i + 1]) return { path: paths[i], start: ranges[2 * i], end: ranges[2 * i + 1] };
    }
    return null;
  }
}
