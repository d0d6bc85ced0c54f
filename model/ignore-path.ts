// --ignore paths, in the JSON tree's notation ("billing.balances[*].updated_at_ms"): the
// one reading and the one matcher for the mock's keys (mock/key.ts) and the replay's
// comparison (model/field-diff.ts), so a path means the same to both. `*` stands for any key
// or index, `[*]` for any index; a path also covers everything under what it names.
// No Node imports: the inspector app uses the notation too.

/** Segments of a path: keys, `[n]` indexes, `*` and `[*]`. */
export type IgnorePath = readonly string[];

/** "billing.balances[*].updated_at_ms" → ["billing", "balances", "[*]", "updated_at_ms"]; [] for a path with no segment. */
export function parseIgnorePath(path: string): IgnorePath {
  return path.match(/\[[^\]]*\]|[^.[\]]+/g) ?? [];
}

function segmentMatches(pattern: string, segment: string): boolean {
  return pattern === segment || pattern === '*' || (pattern === '[*]' && segment.startsWith('['));
}

/** Whether the value at `segments` (keys and `[n]`) is ignored: a path names it or one of its ancestors. */
export function isIgnored(paths: readonly IgnorePath[], segments: readonly string[]): boolean {
  return paths.some((p) => p.length <= segments.length && p.every((s, i) => segmentMatches(s, segments[i]!)));
}
