// An export, or its preview, for the inspector, on a thread of its own that
// export-routes.ts starts for each request. It reads the recording through a read-only
// connection of its own, which WAL lets read while the recorder writes: however large
// the export, the recorder's thread goes on reading the tap ring and answering the
// inspector meanwhile.

import { parentPort, workerData } from 'node:worker_threads';
import { exportRecording, previewExport, type ExportProgress } from '../../capture/export.ts';
import { UserError } from '../../model/user-error.ts';
import { createCodec } from '../../proto/codec.ts';
import { Store } from '../../storage/store.ts';

export interface ExportJob {
  /** The recording, with everything the export must hold committed. */
  file: string;
  /** The recorder's schema, so that the export decodes and redacts as the recorder summarised. */
  schema: { bytes: Uint8Array; fingerprint: string };
  filter?: string;
  ids?: number[];
  /** Where to write the file, in which format; null for a preview. */
  output: { file: string; format: 'har' | 'capture' } | null;
  toolVersion: string;
}

export type ExportOutcome =
  /** Sent as the export goes, before its outcome. */
  | ({ type: 'progress' } & ExportProgress)
  /** Something the export could not do as it meant to, and did otherwise (capture/export-reads.ts), for the terminal. */
  | { type: 'notice'; line: string }
  | { type: 'done'; exchanges: number; tokens: number; fields: Record<string, number> }
  /** A UserError has its status and details; anything else (a bug) has its stack instead. */
  | { type: 'failed'; message: string; user: { status: number; details: Record<string, unknown> } | null; stack: string | undefined };

const job = workerData as ExportJob;
parentPort!.postMessage((await run(job)) satisfies ExportOutcome);

async function run({ file, schema, filter, ids, output, toolVersion }: ExportJob): Promise<ExportOutcome> {
  try {
    const codec = createCodec({ descriptorSet: { bytes: schema.bytes, label: file, fingerprint: schema.fingerprint } });
    const store = Store.openReadOnly(file, { codec, use: { flag: '--db', command: 'export', writes: false } });
    try {
      const progress = (step: ExportProgress) => parentPort!.postMessage({ type: 'progress', ...step } satisfies ExportOutcome);
      const notice = (line: string) => parentPort!.postMessage({ type: 'notice', line } satisfies ExportOutcome);
      const selection = { filter, ids, redact: true, codec, progress, notice };
      const { exchanges, redaction } = output === null ? await previewExport(store, selection) : await exportRecording(store, { ...selection, format: output.format, output: output.file, toolVersion });
      return { type: 'done', exchanges, tokens: redaction?.tokens ?? 0, fields: redaction?.fields ?? {} };
    } finally {
      store.close();
    }
  } catch (err) {
    const user = err instanceof UserError ? { status: err.status, details: err.details } : null;
    return { type: 'failed', message: (err as Error).message, user, stack: (err as Error).stack };
  }
}
