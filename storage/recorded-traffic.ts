// Recorded exchanges oldest first with their raw bytes, for tools that replay a recording
// as a whole (the mock): one pass over the table, no decoded JSON parsed, no frames.
// Filtered with the filter language, compiled to SQL as the list does.

import type Database from 'better-sqlite3';
import type { FilterNode } from '../model/filter.ts';
import type { ExchangeKind, ExchangeState, HeaderList } from '../model/types.ts';
import { compileFilter } from './filter-sql.ts';
import { bodyColumnsSql } from './rows.ts';

export interface RecordedMessage {
  headers: HeaderList;
  body: Buffer;
  truncated: boolean;
}

export interface RecordedExchange {
  id: number;
  kind: ExchangeKind;
  method: string;
  path: string;
  status: number | null;
  state: ExchangeState;
  /** ms epoch. */
  startedAt: number;
  endedAt: number | null;
  /** The JWT subject of the request's (or the WebSocket's WsAuth's) token. */
  tokenSub: string | null;
  request: RecordedMessage;
  response: RecordedMessage | null;
}

interface Row {
  id: number;
  kind: ExchangeKind;
  method: string;
  path: string;
  status: number | null;
  state: ExchangeState;
  started_at: number;
  ended_at: number | null;
  token_sub: string | null;
  request_headers: string;
  request_body: Buffer;
  request_truncated: number;
  response_headers: string | null;
  response_body: Buffer | null;
  response_truncated: number | null;
}

export function* iterateRecordedExchanges(
  prepare: (sql: string) => Database.Statement,
  filter: FilterNode | null,
  now: number,
): Generator<RecordedExchange> {
  const condition = compileFilter(filter, { now });
  const statement = prepare(
    `SELECT e.id, e.kind, e.method, e.path, e.status, e.state, e.started_at, e.ended_at, e.token_sub,
       ${bodyColumnsSql}
     FROM exchanges e JOIN exchange_bodies b ON b.id = e.id WHERE ${condition.sql} ORDER BY e.id`,
  );
  for (const row of statement.iterate(...condition.params) as Iterable<Row>) {
    yield {
      id: row.id,
      kind: row.kind,
      method: row.method,
      path: row.path,
      status: row.status,
      state: row.state,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      tokenSub: row.token_sub,
      request: { headers: JSON.parse(row.request_headers) as HeaderList, body: row.request_body, truncated: row.request_truncated === 1 },
      response:
        row.response_headers === null || row.response_body === null
          ? null
          : { headers: JSON.parse(row.response_headers) as HeaderList, body: row.response_body, truncated: row.response_truncated === 1 },
    };
  }
}
