// How far a live request is from a recorded one: the leaf fields that differ, by path in
// the JSON tree's notation ("instances.list.states[0]"). Used to pick the closest recorded
// answer and to explain a miss. Kept small on purpose: values compared as JSON, no moves.

import type { JsonObject, JsonValue } from '../model/types.ts';

export interface FieldDifference {
  path: string;
  /** undefined where the field is absent on that side. */
  recorded: JsonValue | undefined;
  live: JsonValue | undefined;
}

export function fieldDifferences(recorded: JsonValue | undefined, live: JsonValue | undefined, path = '', out: FieldDifference[] = []): FieldDifference[] {
  if (Array.isArray(recorded) && Array.isArray(live)) {
    for (let i = 0; i < Math.max(recorded.length, live.length); i++) fieldDifferences(recorded[i], live[i], `${path}[${i}]`, out);
  } else if (isObject(recorded) && isObject(live)) {
    for (const key of new Set([...Object.keys(recorded), ...Object.keys(live)])) {
      fieldDifferences(recorded[key], live[key], path === '' ? key : `${path}.${key}`, out);
    }
  } else if (JSON.stringify(recorded) !== JSON.stringify(live)) {
    out.push({ path, recorded, live });
  }
  return out;
}

/** "instances.list.states[0] (2 → 3)", several joined, at most `limit` named. */
export function describeDifferences(differences: readonly FieldDifference[], limit = 4): string {
  const named = differences.slice(0, limit).map((d) => `${d.path} (${shown(d.recorded)} → ${shown(d.live)})`);
  const more = differences.length - named.length;
  return named.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** "states=[3]": the fields set inside the operation message, as a miss names the request. */
export function describeOperationFields(operationValue: JsonValue | undefined): string {
  if (!isObject(operationValue) || Object.keys(operationValue).length === 0) return 'no fields set';
  return Object.entries(operationValue)
    .map(([key, value]) => `${key}=${shown(value)}`)
    .join(', ');
}

function shown(value: JsonValue | undefined): string {
  if (value === undefined) return 'absent';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
