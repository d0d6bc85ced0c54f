// Everything behind the tap: codec, recorder, storage, the inspector server and the
// terminal printer. It runs in a worker thread (recorder/worker.ts) so that decoding and
// SQLite writes never take time from forwarding; tests may also run it in-process.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createCodec } from '../proto/codec.ts';
import { Store } from '../storage/store.ts';
import { startInspectorServer } from '../inspector/server/app.ts';
import { buildUi, uiDistDir } from '../inspector/build.ts';
import { Recorder } from './recorder.ts';
import { TerminalPrinter } from './printer.ts';

export interface BackendOptions {
  db: string;
  protoPaths: string[];
  ui: { host: string; port: number };
  /** null: no token required (`--ui-token off`, loopback UI only). */
  uiToken: string | null;
  /** --ui-allow-host values. */
  uiAllowHosts: string[];
  quiet: boolean;
}

export interface Backend {
  recorder: Recorder;
  ui: { host: string; port: number };
  /** Flushes every record and stops the inspector server. */
  close(): Promise<{ exchanges: number; frames: number; writeFailures: number; dropped: number }>;
}

export async function startBackend(options: BackendOptions, log: (line: string) => void): Promise<Backend> {
  const codec = createCodec({ protoPaths: options.protoPaths });
  if (!existsSync(join(uiDistDir, 'index.html'))) await buildUi();
  const store = Store.open(options.db, { recording: true, onError: (message) => log(`recording: ${message}`) });
  let server;
  try {
    server = await startInspectorServer({ store, host: options.ui.host, port: options.ui.port, token: options.uiToken, allowHosts: options.uiAllowHosts, log });
  } catch (err) {
    store.close();
    throw err;
  }
  const recorder = new Recorder(codec, store);
  recorder.addListener(server.live);
  if (!options.quiet) recorder.addListener(new TerminalPrinter(log));

  return {
    recorder,
    ui: server.address,
    async close() {
      recorder.stop();
      await server.close();
      const { exchanges, frames, writeFailures, dropped } = store.stats();
      store.close();
      return { exchanges, frames, writeFailures, dropped };
    },
  };
}
