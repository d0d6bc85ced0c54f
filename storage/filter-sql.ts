// Compiles a parsed filter (model/filter.ts) to a parameterised SQL condition over the
// exchanges table, aliased `e`. It must answer exactly as model/filter-match.ts does on
// the summaries of the same rows: every condition below is written to be true or false,
// never NULL, so `not` inverts it as the in-memory evaluator does. User text only ever
// reaches SQLite as a bound parameter.

import type { FilterNode, NumberTest } from '../model/filter.ts';
import { timeBound } from '../model/filter-match.ts';

export interface SqlCondition {
  /** A boolean SQL expression over `exchanges e`. */
  sql: string;
  params: (string | number)[];
}

/** The condition for a filter; a null filter (empty text) gives one that is always true. */
export function compileFilter(filter: FilterNode | null, now: number): SqlCondition {
  const params: (string | number)[] = [];
  const sql = filter === null ? '1' : compile(filter, now, params);
  return { sql, params };
}

/** Quotes text for LIKE with '\' as the escape character. */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A bare word as an FTS5 phrase. Its tokens hold only letters and digits, so quoting them cannot be escaped from. */
function ftsPhrase(tokens: string[], prefix: boolean): string {
  return `"${tokens.join(' ')}"${prefix ? '*' : ''}`;
}

const sizeSql = '(e.request_size + ifnull(e.response_size, 0) + e.client_frame_bytes + e.server_frame_bytes)';

function numberSql(column: string, tests: NumberTest[], params: (string | number)[]): string {
  const parts = tests.map((t) => {
    params.push(t.value);
    return `${column} ${t.op} ?`;
  });
  return `(${column} IS NOT NULL AND ${parts.join(' AND ')})`;
}

function compile(node: FilterNode, now: number, params: (string | number)[]): string {
  switch (node.type) {
    case 'and':
      return `(${node.items.map((item) => compile(item, now, params)).join(' AND ')})`;
    case 'or':
      return `(${node.items.map((item) => compile(item, now, params)).join(' OR ')})`;
    case 'not':
      return `NOT ${compile(node.item, now, params)}`;
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
      // starts with the stored prefix: the IN list holds every start of the value.
      const chars = Array.from(node.value);
      const starts = chars.map((_, i) => chars.slice(0, i + 1).join(''));
      params.push(node.value, `${likeEscape(node.value)}%`, ...starts);
      const inList = starts.length > 0 ? ` OR e.token_prefix IN (${starts.map(() => '?').join(', ')})` : '';
      return (
        '(e.token_prefix IS NOT NULL AND ((e.token_sub IS NOT NULL AND e.token_sub = ?)' +
        ` OR e.token_prefix LIKE ? ESCAPE '\\'${inList}))`
      );
    }
    case 'kind':
      params.push(node.value);
      return '(e.kind = ?)';
    case 'error':
      if (node.name === null) return '(e.error_count > 0)';
      params.push(node.name);
      return '(e.id IN (SELECT exchange_id FROM exchange_errors WHERE error = ?))';
    case 'problem':
      if (node.text === null) return '(e.problem_count > 0)';
      params.push(`%${likeEscape(node.text)}%`);
      return "(e.problem_count > 0 AND EXISTS (SELECT 1 FROM json_each(e.problems) WHERE value LIKE ? ESCAPE '\\'))";
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
      const bound = timeBound(node, now);
      if (node.bound === 'since') {
        params.push(bound);
        return '(e.started_at >= ?)';
      }
      params.push(bound + 1);
      return '(e.started_at < ?)';
    }
    case 'text': {
      const phrase = ftsPhrase(node.tokens, node.prefix);
      params.push(phrase, phrase);
      return (
        '(e.id IN (SELECT rowid FROM exchange_text WHERE exchange_text MATCH ?)' +
        ' OR e.id IN (SELECT exchange_id FROM frame_text WHERE frame_text MATCH ?))'
      );
    }
  }
  throw new Error(`unhandled filter node ${JSON.stringify(node)}`);
}
