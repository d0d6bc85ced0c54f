// The JSON paths the decoder gives spans and problems ("instances.list.instances[3].name"),
// written as model/json-path.ts writes them but with the fewest string joins: with spans,
// the decoder makes one for every field it reads. Also the spans' constructor.

import type { FieldSpan } from '../model/types.ts';

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

/**
 * The constructor of spans, used instead of an object literal. V8 gives each literal an
 * allocation site, and a site whose objects all survive one scavenge (a large decode
 * caught half way while its code warms up) has every later object made in old space:
 * the spans then keep their young path strings alive through every scavenge until a
 * full collection, and decodes ran at a fifth of their speed. Objects a constructor
 * makes have no allocation site. Its prototype is Object's, so a span is still a plain
 * object; a class's prototype cannot be replaced.
 */
function SpanObject(this: FieldSpan, path: string, start: number, end: number): void {
  this.path = path;
  this.start = start;
  this.end = end;
}
SpanObject.prototype = Object.prototype;
export const Span = SpanObject as unknown as new (path: string, start: number, end: number) => FieldSpan;
