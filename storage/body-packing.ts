// Bodies a recording proxy stores packed against a dictionary learned from the
// recording's own first bodies (the format: storage/dictionary-lz.ts). Calls repeat much of
// their bodies from one to the next (a token, ids, names, the same fields in the same
// order), which no compressor can see within one body of a few hundred bytes: against
// bodies like it, it can. A built-in dictionary
// would know one schema's traffic; a learned one is the traffic's own. It is kept in the
// file (body_dictionaries, one row per side: requests learn from requests), so a recording
// reads on its own, and never changes once written: a later one gets a new id.
//
// exchange_bodies.packed says what a row holds: 0 for raw bodies (every row before
// version 14), else the dictionary's id << 4 with a bit per body column packed. A body is
// packed only when that makes it smaller, and only from 64 bytes to 64 KiB: smaller ones
// save nothing, larger ones are read cut (storage/rows.ts cutBody). Imports and exports
// write their rows unpacked, which spares them the cost.

import type Database from 'better-sqlite3';
import { indexDictionary, maxPackedBody, pack, unpack, type IndexedDictionary } from './dictionary-lz.ts';

/** The body columns of exchange_bodies, each with its bit in `packed`; their side is the dictionary they use. */
export const packedColumns = [
  { column: 'request_body', bit: 1, side: 'request' },
  { column: 'response_body', bit: 2, side: 'response' },
  { column: 'original_request_body', bit: 4, side: 'request' },
  { column: 'original_response_body', bit: 8, side: 'response' },
] as const;

type Side = 'request' | 'response';

interface Dictionary {
  id: number;
  request: Buffer;
  response: Buffer;
}

type Indexed = Record<Side, IndexedDictionary> & { id: number };

/** Each side's: on /exec traffic 8 KiB packed a fifth worse, and 32 KiB no better. */
const dictionaryBytes = 16 * 1024;
const smallest = 64;
const largest = maxPackedBody;
/** Exchanges whose bodies are learned from, at most, before the dictionary is written. */
const learnFrom = 256;

const perConnection = new WeakMap<Database.Database, BodyPacking>();

/** The connection's one BodyPacking: what it remembers holds only for the transactions of that connection. */
export function bodyPackingOf(db: Database.Database): BodyPacking {
  let packing = perConnection.get(db);
  if (packing === undefined) perConnection.set(db, (packing = new BodyPacking(db)));
  return packing;
}

export type BodyReader = Pick<BodyPacking, 'unpack'>;

/** Packs a row's bodies (inside the caller's write transaction) and unpacks stored ones. */
class BodyPacking {
  private readonly dictionaries = new Map<number, Dictionary>();
  /** The dictionary new rows are packed with, indexed; null until it is learned. */
  private current: Indexed | null | undefined;
  /** Bodies learned from so far, by side, and the exchanges they came from. */
  private samples: Record<Side, Buffer[]> = { request: [], response: [] };
  private sampled = 0;
  /** Written in the transaction under way: forgotten should it not commit, as its id may then be given to another. */
  private written: Dictionary | null = null;

  private statements: ReturnType<typeof prepare> | undefined;

  constructor(private readonly db: Database.Database) {}

  /** Prepared at first use: a file of an older version, which has no dictionaries, reads its rows without them. */
  private get s(): ReturnType<typeof prepare> {
    return (this.statements ??= prepare(this.db));
  }

  /** Packs the bodies of a row's params in place, setting `packed`; learns the dictionary first if there is none yet. */
  pack(params: Record<string, unknown>): void {
    const dictionary = this.dictionary(params);
    if (dictionary === null) return;
    let packed = 0;
    for (const { column, bit, side } of packedColumns) {
      const body = params[column] as Buffer | null;
      if (body === null || body.length < smallest || body.length > largest) continue;
      const shorter = pack(body, dictionary[side]);
      if (shorter === null) continue;
      params[column] = shorter;
      packed |= bit;
    }
    params.packed = packed === 0 ? 0 : (dictionary.id << 4) | packed;
  }

  /** A stored body as it was recorded: `packed` is its row's column. */
  unpack(stored: Buffer, packed: number, column: (typeof packedColumns)[number]['column']): Buffer {
    const { bit, side } = packedColumns.find((c) => c.column === column)!;
    if ((packed & bit) === 0) return stored;
    const id = packed >> 4;
    let dictionary = this.dictionaries.get(id);
    if (dictionary === undefined) {
      dictionary = this.s.byId.get(id) as Dictionary | undefined;
      if (dictionary === undefined) throw new Error(`a body is packed with dictionary ${id}, which the file does not hold`);
      this.dictionaries.set(id, dictionary);
    }
    return unpack(stored, dictionary[side]);
  }

  /** A write transaction is about to begin: a dictionary written in an outer one that has ended since is kept if it committed. */
  beginning(): void {
    if (this.written !== null) {
      const row = this.s.byId.get(this.written.id) as Dictionary | undefined;
      if (row === undefined || !row.request.equals(this.written.request) || !row.response.equals(this.written.response)) this.forget();
    }
    this.written = null;
  }

  /** The transaction committed; within an outer one, its dictionary waits for beginning() to see how that ended. */
  committed(inOuterTransaction: boolean): void {
    if (!inOuterTransaction) this.written = null;
  }

  /** The transaction rolled back: a dictionary it wrote is gone, and its id may be given to another. */
  rolledBack(): void {
    if (this.written !== null) this.forget();
    this.written = null;
  }

  private forget(): void {
    this.dictionaries.clear();
    this.current = undefined;
  }

  private dictionary(params: Record<string, unknown>): Indexed | null {
    if (this.current === undefined) {
      const newest = this.s.newest.get() as Dictionary | undefined;
      this.current = newest === undefined ? null : indexed(newest);
    }
    if (this.current !== null) return this.current;
    const bytes = (side: Side) => this.samples[side].reduce((sum, b) => sum + b.length, 0);
    for (const { column, side } of packedColumns) {
      const body = params[column] as Buffer | null;
      if (body !== null && body.length >= smallest && body.length <= largest && bytes(side) < dictionaryBytes) this.samples[side].push(Buffer.from(body));
    }
    if (++this.sampled < learnFrom && Math.min(bytes('request'), bytes('response')) < dictionaryBytes) return null;
    // The end of a dictionary is the nearest to each body, where a copy's distance is shortest.
    const learned = (side: Side) => {
      const all = Buffer.concat(this.samples[side]);
      return all.subarray(Math.max(0, all.length - dictionaryBytes));
    };
    const [request, response] = [learned('request'), learned('response')];
    this.samples = { request: [], response: [] };
    this.sampled = 0;
    const id = Number(this.s.insert.run(request, response).lastInsertRowid);
    this.written = { id, request, response };
    this.current = indexed(this.written);
    return this.current;
  }
}

function prepare(db: Database.Database) {
  return {
    newest: db.prepare('SELECT id, request, response FROM body_dictionaries ORDER BY id DESC LIMIT 1'),
    byId: db.prepare('SELECT id, request, response FROM body_dictionaries WHERE id = ?'),
    insert: db.prepare('INSERT INTO body_dictionaries (request, response) VALUES (?, ?)'),
  };
}

function indexed({ id, request, response }: Dictionary): Indexed {
  return { id, request: indexDictionary(request), response: indexDictionary(response) };
}
