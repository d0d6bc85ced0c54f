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

/** Lists up to this many spans long are kept between decodes; a longer one is let go after its decode. */
const KEPT_CAPACITY = 1 << 16;

/**
 * The spans of a decode as the decoder makes them, in the flat form of FieldSpans
 * (model/types.ts): a span is an index into two lists, never an object of its own.
 * One list serves every decode of a decoder, its lists kept at their size: grown
 * afresh for each decode, their copies as they doubled were more than the spans.
 * A span is opened at its field's start and closed once its end is known; a value
 * taken back takes back the spans made inside it.
 */
export class SpanList {
  private paths: string[] = [];
  private ranges: number[] = [];
  private count = 0;
  /** How many entries of paths the decode wrote, taken back or not: known at truncate() and take(). */
  private written = 0;

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
    if (this.count > this.written) this.written = this.count;
    this.count = length;
  }

  /**
   * The decode's spans, copied out; the list is left empty for the next decode, holding
   * none of this one's paths, which would otherwise outlive it.
   */
  take(): FieldSpans {
    const spans = { paths: this.paths.slice(0, this.count), ranges: this.ranges.slice(0, 2 * this.count) };
    if (this.count > this.written) this.written = this.count;
    if (this.paths.length > KEPT_CAPACITY) {
      this.paths = [];
      this.ranges = [];
    } else this.paths.fill('', 0, this.written);
    this.count = 0;
    this.written = 0;
    return spans;
  }
}
