import type { JsonObject, JsonValue } from '../../model/types.ts';

/** The value a span path ("auth.4[1].2", "errors[0]") names in decoded JSON; undefined when none. */
export function valueAt(json: JsonValue, path: string): JsonValue | undefined {
  let node: JsonValue | undefined = json;
  for (const part of path.match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    if (node === null || typeof node !== 'object') return undefined;
    if (part.startsWith('[')) node = Array.isArray(node) ? node[Number(part.slice(1, -1))] : undefined;
    else node = Array.isArray(node) ? undefined : (node as JsonObject)[part];
  }
  return node;
}
