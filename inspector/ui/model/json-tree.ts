// What the collapsible JSON tree needs to know about a value, kept apart from the
// component: which nodes start open, how a closed node previews, how much of a long
// list to show at once, and what "copy" puts on the clipboard.

import type { JsonValue } from '../../../model/types.ts';
import { countOf } from '../../../model/format.ts';

/** JSON bigger than this renders with everything closed until asked (issue 4). */
export const collapseAboveBytes = 1024 * 1024;
/** Children shown per "show more" step, so a 100,000-entry array never renders at once. */
export const childPageSize = 200;

export function isContainer(value: JsonValue): value is JsonValue[] | { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object';
}

/** Key/value pairs of a container in display order, the first `limit` of them. */
export function childrenOf(value: JsonValue, limit = Infinity): [key: string | number, child: JsonValue][] {
  if (Array.isArray(value)) return value.slice(0, limit).map((child, index) => [index, child]);
  if (isContainer(value)) return Object.entries(value).slice(0, limit);
  return [];
}

export function childCount(value: JsonValue): number {
  if (Array.isArray(value)) return value.length;
  if (isContainer(value)) return Object.keys(value).length;
  return 0;
}

/** Whether a node at `depth` (root = 0) starts open. */
export function startsOpen(depth: number, bodyBytes: number, children: number): boolean {
  if (bodyBytes > collapseAboveBytes) return false;
  if (children > childPageSize) return depth === 0;
  return depth < 4;
}

/** One-line preview of a closed container or a long scalar. */
export function preview(value: JsonValue, maxLength = 80): string {
  if (Array.isArray(value)) return `[${countOf(value.length, 'item')}]`;
  if (isContainer(value)) {
    const keys = Object.keys(value);
    const shown = keys.slice(0, 4).join(', ');
    return `{ ${shown}${keys.length > 4 ? `, … ${keys.length - 4} more` : ''} }`;
  }
  const text = JSON.stringify(value);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** What "copy value" copies: strings as they are, everything else as indented JSON. */
export function clipboardText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

export type ScalarKind = 'string' | 'number' | 'boolean' | 'null';

export function scalarKind(value: JsonValue): ScalarKind {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  return 'boolean';
}

/** Rough size of a JSON value in bytes, cheap enough to call on a 16 MB body: stops counting past `limit`. */
export function approximateSize(value: JsonValue, limit = collapseAboveBytes + 1): number {
  let total = 0;
  const stack: JsonValue[] = [value];
  while (stack.length > 0 && total <= limit) {
    const next = stack.pop()!;
    if (typeof next === 'string') total += next.length + 2;
    else if (Array.isArray(next)) {
      total += 2 + next.length;
      for (const child of next) stack.push(child);
    } else if (isContainer(next)) {
      for (const [key, child] of Object.entries(next)) {
        total += key.length + 4;
        stack.push(child);
      }
    } else total += String(next).length;
  }
  return total;
}
