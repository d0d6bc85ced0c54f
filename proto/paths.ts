// The JSON paths the decoder gives spans and problems ("instances.list.instances[3].name"),
// written as model/json-path.ts writes them but with the fewest string joins: with spans,
// the decoder makes one for every field it reads.

/** `parent.name`, or `name` at the top; `dotted` is "." + name, made once per field. */
export function memberPath(parent: string, name: string, dotted: string): string {
  return parent === '' ? name : parent + dotted;
}

const INDEXES: string[] = Array.from({ length: 1024 }, (_, i) => `[${i}]`);

/** `path[index]`. */
export function itemPath(path: string, index: number): string {
  return index < INDEXES.length ? path + INDEXES[index] : `${path}[${index}]`;
}
