// The JSON paths the decoder gives spans and problems ("instances.list.instances[3].name"),
// written as model/json-path.ts writes them but with the fewest string joins: with spans,
// the decoder makes one for every field it reads. Also the list the spans are made in.

import type { FieldSpans } from '../model/types.ts';

/** `parent.name`, or `name` at the top; `dotted` is "." + name, made once per field. */
export function memberPath(parent: string, name: string, dotted: string): string {
  return parent === '' ? name : parent + dotted;
}

const INDEXES: string[] = Array.from({ length: 1024 }, (_, i) => `[${i}]`);

/** `path[index]`. */
export function itemPath(path: string, index: number): string {
  return index < INDEXES.length ? path + INDEXES[index] : `${path}[${index}]`;
}

/**
 * The paths of one field's items, `parent.name[i]` (`name[i]` at the top), each in one
 * join: ".name[i]" is made once per field and index, where `parent.name` then `[i]` made
 * a second string per item, thrown away at once.
 */
export class ItemPaths {
  private readonly top: string[] = [];
  private readonly dotted: string[] = [];

  constructor(private readonly name: string) {}

  of(parent: string, index: number): string {
    if (index >= INDEXES.length) return itemPath(parent === '' ? this.name : parent + '.' + this.name, index);
    if (parent === '') return (this.top[index] ??= this.name + INDEXES[index]);
    return parent + (this.dotted[index] ??= '.' + this.name + INDEXES[index]);
  }
}

/** The most spans a decode's lists are made for at once; past it they grow as they fill. */
const MOST_AT_ONCE = 1 << 16;

/**
 * The spans of a decode as the decoder makes them, in the flat form of FieldSpans
 * (model/types.ts): a span is an index into two lists, never an object of its own.
 * The lists are made at their size at once, guessed from the spans per byte of the
 * decoder's last decode: grown as they filled, their copies as they doubled allocated
 * more than the spans. A span is opened at its field's start and closed once its end
 * is known; a value taken back takes back the spans made inside it.
 */
export class SpanList {
  private paths: string[] = [];
  private ranges: number[] = [];
  private count = 0;
  /** Spans per byte of the last decode. */
  private density = 0;

  /** A decode of `size` bytes begins. */
  begin(size: number): void {
    const expected = Math.min(MOST_AT_ONCE, Math.ceil(size * this.density));
    this.paths = new Array<string>(expected);
    this.ranges = new Array<number>(2 * expected);
    this.count = 0;
  }

  /** How many spans the decode has. */
  get length(): number {
    return this.count;
  }

  /** A span whose end is not known yet; its index, for close(). */
  open(path: string, start: number): number {
    const index = this.count;
    this.add(path, start, start);
    return index;
  }

  /**
   * An offset can arrive as a heap number (a sum with a uint32 read off the wire), and one
   * heap number stored turns the ranges into doubles, twice the size: `>>> 0` gives it back
   * as a small integer.
   */
  add(path: string, start: number, end: number): void {
    const index = this.count++;
    this.paths[index] = path;
    this.ranges[2 * index] = start >>> 0;
    this.ranges[2 * index + 1] = end >>> 0;
  }

  close(index: number, end: number): void {
    this.ranges[2 * index + 1] = end >>> 0;
  }

  start(index: number): number {
    return this.ranges[2 * index];
  }

  end(index: number): number {
    return this.ranges[2 * index + 1];
  }

  path(index: number): string {
    return this.paths[index];
  }

  rename(index: number, path: string): void {
    this.paths[index] = path;
  }

  /** Drops the spans from `length` on. */
  truncate(length: number): void {
    this.count = length;
  }

  /** The spans of a decode of `size` bytes, cut to their number; the list lets go of them. */
  take(size: number): FieldSpans {
    const { paths, ranges, count } = this;
    paths.length = count;
    ranges.length = 2 * count;
    this.density = size === 0 ? 0 : count / size;
    this.paths = [];
    this.ranges = [];
    this.count = 0;
    return { paths, ranges };
  }
}
