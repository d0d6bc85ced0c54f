// Compiles a parsed filter (model/filter.ts) to a parameterised SQL condition over the
// exchanges table, aliased `e`. It must answer exactly as model/filter-match.ts does on
// the summaries of the same rows: every condition below is written to be true or false,
// never NULL, so `not` inverts it as the in-memory evaluator does. User text only ever
// reaches SQLite as a bound parameter.
//
// field: terms test decoded messages, which SQL cannot read. For a filter with them the
// condition only narrows: it holds for every row that may match (a field: term counts as
// true, or under an odd number of nots as false), and the caller decodes and tests each
// row it returns (storage/settled-page.ts). A phrase (a bare word of several tokens) is
// the same: the search index keeps no word positions (migrations.ts, version 13), so it
// finds the rows holding every word of the phrase, and the decoded texts say which hold
// them in order.

import type { FilterNode, NumberTest } from '../model/filter.ts';
import { needsMessages, timeBound } from '../model/filter-match.ts';
import { anyTerm } from '../model/filter-terms.ts';
import { tokenPrefixLength } from '../model/types.ts';

export interface SqlCondition {
  /** A boolean SQL expression over `exchanges e`, or for candidateIds a SELECT of exchange ids. */
  sql: string;
  params: (string | number)[];
}

export type TextNode = Extract<FilterNode, { type: 'text' }>;

export interface CompileOptions {
  /** ms epoch that relative times count back from. */
  now: number;
  /**
   * How a bare word that the filter requires is tested: `list` collects every match once
   * (cheap when the word is rare), `probe` looks up the row being tested (cheap when few
   * rows are tested, as when another term chose them). In or/not a word always uses `list`.
   */
  textMode?: 'list' | 'probe';
  /** The FTS5 query for a bare word; ftsQuery by default. */
  match?: (node: TextNode) => string;
}

/**
 * The condition for a filter; a null filter (empty text) gives one that is always true.
 * With field: terms or a phrase (narrowsOnly), a condition every matching row meets.
 */
export function compileFilter(filter: FilterNode | null, options: CompileOptions): SqlCondition {
  const params: (string | number)[] = [];
  const sql = filter === null ? '1' : compile(filter, params, { textMode: 'list', match: ftsQuery, ...options }, true);
  return { sql, params };
}

/** The terms a filter requires all of: the items of a top-level and, or the filter itself. */
export function conjuncts(filter: FilterNode | null): FilterNode[] {
  if (filter === null) return [];
  return filter.type === 'and' ? filter.items : [filter];
}

/**
 * A SELECT of the exchange ids that can match `node`, answered from an index, or null when
 * no index helps. Used to pick the rows to test when that list is short.
 */
export function candidateIds(node: FilterNode, options: CompileOptions): SqlCondition | null {
  const fromExchanges = (): SqlCondition => {
    const { sql, params } = compileFilter(node, { ...options, textMode: 'list' });
    return { sql: `SELECT e.id FROM exchanges e WHERE ${sql}`, params };
  };
  switch (node.type) {
    case 'field':
      return node.field === 'path' ? null : fromExchanges();
    case 'token':
    case 'kind':
    case 'time':
      return fromExchanges();
    case 'number':
      return node.field === 'status' ? fromExchanges() : null;
    case 'error':
      return node.name === null
        ? { sql: 'SELECT e.id FROM exchanges e WHERE e.error_count > 0', params: [] }
        : { sql: 'SELECT exchange_id FROM exchange_errors WHERE error = ?', params: [node.name] };
    case 'problem':
      return { sql: 'SELECT e.id FROM exchanges e WHERE e.problem_count > 0', params: [] };
    case 'replay':
      return fromExchanges();
    case 'rule':
      return { sql: "SELECT e.id FROM exchanges e WHERE e.rules <> '[]'", params: [] };
    case 'text':
      return { sql: 'SELECT rowid >> 32 FROM search_text WHERE search_text MATCH ?', params: [(options.match ?? ftsQuery)(node)] };
    default:
      return null;
  }
}

/** Quotes text for LIKE with '\' as the escape character. */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * A bare word as an FTS5 query for the rows holding each of its tokens. Its tokens hold
 * only letters and digits, so quoting them cannot be escaped from.
 */
export function ftsQuery(node: TextNode): string {
  return `${node.tokens.map((token) => `"${token}"`).join(' AND ')}${node.prefix ? '*' : ''}`;
}

/** Whether SQL's condition for the filter only narrows, so each row it gives must be decoded and tested. */
export function narrowsOnly(filter: FilterNode | null): boolean {
  return needsMessages(filter) || hasPhrase(filter);
}

function hasPhrase(node: FilterNode | null): boolean {
  return anyTerm(node, (term) => term.type === 'text' && term.tokens.length > 1);
}

const sizeSql = '(e.request_size + ifnull(e.response_size, 0) + e.client_frame_bytes + e.server_frame_bytes)';

function numberSql(column: string, tests: NumberTest[], params: (string | number)[]): string {
  const parts = tests.map((t) => {
    params.push(t.value);
    return `${column} ${t.op} ?`;
  });
  return `(${column} IS NOT NULL AND ${parts.join(' AND ')})`;
}

/** `widen`: what SQL cannot judge counts as matching (outside a not) or as not matching (inside one). */
function compile(node: FilterNode, params: (string | number)[], options: Required<CompileOptions>, widen: boolean): string {
  const nested = { ...options, textMode: 'list' as const };
  switch (node.type) {
    case 'and':
      return `(${node.items.map((item) => compile(item, params, options, widen)).join(' AND ')})`;
    case 'or':
      return `(${node.items.map((item) => compile(item, params, nested, widen)).join(' OR ')})`;
    case 'not':
      return `NOT ${compile(node.item, params, nested, !widen)}`;
    case 'decoded':
      return widen ? '1' : '0';
    case 'field':
      switch (node.field) {
        case 'service':
          params.push(node.value);
          return '(e.service IS NOT NULL AND e.service = ?)';
        case 'op':
          params.push(node.value);
          return '(e.operation IS NOT NULL AND e.operation = ?)';
        case 'path':
          params.push(`%${likeEscape(node.value)}%`);
          return "(e.path LIKE ? ESCAPE '\\')";
        case 'trx':
          params.push(`${likeEscape(node.value)}%`);
          return "(e.trx IS NOT NULL AND e.trx LIKE ? ESCAPE '\\')";
      }
      break;
    case 'token': {
      // The stored prefix starts with the value, or the value (a pasted whole token)
      // starts with the stored prefix: the IN list holds every start of the value a
      // prefix can be, so it stays short however long the pasted token is.
      const chars = Array.from(node.value.slice(0, tokenPrefixLength * 2)).slice(0, tokenPrefixLength);
      const starts = chars.map((_, i) => chars.slice(0, i + 1).join(''));
      // A subject matches by its first characters, as trx: does.
      params.push(`${likeEscape(node.value)}%`, `${likeEscape(node.value)}%`, ...starts);
      const inList = starts.length > 0 ? ` OR e.token_prefix IN (${starts.map(() => '?').join(', ')})` : '';
      return (
        "(e.token_prefix IS NOT NULL AND ((e.token_sub IS NOT NULL AND e.token_sub LIKE ? ESCAPE '\\')" +
        ` OR e.token_prefix LIKE ? ESCAPE '\\'${inList}))`
      );
    }
    case 'kind':
      params.push(node.value);
      return '(e.kind = ?)';
    case 'state':
      params.push(node.value);
      return '(e.state = ?)';
    case 'error':
      if (node.name === null) return '(e.error_count > 0)';
      params.push(node.name);
      return '(e.id IN (SELECT exchange_id FROM exchange_errors WHERE error = ?))';
    case 'problem':
      if (node.text === null) return '(e.problem_count > 0)';
      params.push(`%${likeEscape(node.text)}%`);
      return "(e.problem_count > 0 AND EXISTS (SELECT 1 FROM json_each(e.problems) WHERE value LIKE ? ESCAPE '\\'))";
    case 'rule':
      if (node.name === null) return "(e.rules <> '[]')";
      params.push(node.name);
      return "(e.rules <> '[]' AND EXISTS (SELECT 1 FROM json_each(e.rules) WHERE value = ?))";
    case 'replay':
      if (node.of === null) return '(e.replay_of IS NOT NULL)';
      params.push(node.of);
      return '(e.replay_of IS NOT NULL AND e.replay_of = ?)';
    case 'number':
      switch (node.field) {
        case 'status':
          return numberSql('e.status', node.tests, params);
        case 'size':
          return numberSql(sizeSql, node.tests, params);
        case 'dur':
          return numberSql('e.duration_ms', node.tests, params);
      }
      break;
    case 'dir':
      return node.value === 'client' ? '(e.client_frames > 0)' : '(e.server_frames > 0)';
    case 'time': {
      // started_at keeps sub-milliseconds; a summary's whole-ms startedAt is floor(started_at).
      const bound = timeBound(node, options.now);
      if (node.bound === 'since') {
        params.push(bound);
        return '(e.started_at >= ?)';
      }
      params.push(bound + 1);
      return '(e.started_at < ?)';
    }
    case 'text':
      // The index cannot say a row lacks a phrase (see the top of this file).
      if (node.tokens.length > 1 && !widen) return '0';
      // search_text rowids are exchange id << 32 plus a slot (see storage/migrations.ts).
      params.push(options.match(node));
      return options.textMode === 'list'
        ? '(e.id IN (SELECT rowid >> 32 FROM search_text WHERE search_text MATCH ?))'
        : '(EXISTS (SELECT 1 FROM search_text WHERE search_text MATCH ? AND rowid >= e.id << 32 AND rowid <= (e.id << 32) + 4294967295))';
  }
  throw new Error(`unhandled filter node ${JSON.stringify(node)}`);
}
