// A file imported as `import` imports it (capture/sources.ts, capture/record.ts), for the
// tests of what imports keep: an exchange at a time, all or none.

import { openForImport, recordAll, type RecordResult } from '../../capture/record.ts';
import { openSource } from '../../capture/sources.ts';
import type { Flow } from '../../model/flow.ts';
import { createCodec, type Codec } from '../../proto/codec.ts';
import type { Store, StoreOptions } from '../../storage/store.ts';

/**
 * Imports `file` into the recording at `db`, decoding with the schema the file keeps, else
 * `codec`; `inspect` reads the store before it closes.
 */
export function importInto<T = RecordResult>(
  db: string,
  file: string,
  codec: Codec,
  inspect?: (store: Store, result: RecordResult) => T,
  options: Pick<StoreOptions, 'freshLoad'> = {},
): T {
  const source = openSource(file);
  try {
    const sourceCodec = source.descriptorSet ? createCodec({ descriptorSet: { bytes: source.descriptorSet, label: file } }) : codec;
    const store = openForImport(db, sourceCodec, options);
    try {
      const result = recordAll(store, sourceCodec, source.flows, { dedupe: true });
      return inspect ? inspect(store, result) : (result as T);
    } finally {
      store.close();
    }
  } finally {
    source.close();
  }
}

/** Every exchange of a small file, read whole. */
export function flowsIn(file: string): Flow[] {
  const source = openSource(file);
  try {
    return [...source.flows];
  } finally {
    source.close();
  }
}
