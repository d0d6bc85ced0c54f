// Everything behind the tap: codec, recorder, storage, the inspector server and the
// terminal printer. It runs in a worker thread (app/worker.ts) so that decoding and
// SQLite writes never take time from forwarding; tests may also run it in-process.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createCodec } from '../proto/codec.ts';
import { startCheckpoints } from './checkpoints.ts';
import { Store } from '../storage/store.ts';
import type { ClosedStats } from './worker-messages.ts';
import { startInspectorServer } from '../inspector/server/app.ts';
import { toolVersion } from '../capture/tool-version.ts';
import { buildUi, uiDistDir } from '../inspector/build.ts';
import { Recorder } from '../recorder/recorder.ts';
import { recoveredNotice, TapJournal } from '../recorder/tap-journal.ts';
import { TerminalPrinter } from '../recorder/printer.ts';
import { ReplayService } from '../replay/service.ts';
import type { RuleControl } from '../model/rules.ts';
import type { PauseControl } from '../model/pauses.ts';

/** For tests of a full disk: the file may grow to this many bytes, and writes past it fail as on a full disk. */
const TEST_MAX_DB_BYTES = 'CA2_INSPECTOR_TEST_MAX_DB_BYTES';

/** How long closing may spend storing the journal, from the moment shutdown begins: within the worker bridge's close timeout (15 s). */
export const CLOSE_BUDGET_MS = 10_000;

export interface BackendOptions {
  db: string;
  protoPaths: string[];
  ui: { host: string; port: number };
  /** null: no token required (`--ui-token off`, loopback UI only). */
  uiToken: string | null;
  /** --ui-allow-host values. */
  uiAllowHosts: string[];
  quiet: boolean;
  /** The proxy's upstream (href), where the inspector's Resend goes by default. */
  upstream: string;
  insecure: boolean;
  maxBody: number;
  /** The proxy's rules as the inspector shows and switches them (app/rule-mirror.ts); absent outside the proxy. */
  rules?: RuleControl;
  /** The proxy's breakpoints as the inspector lists and decides them (app/pause-mirror.ts); absent outside the proxy. */
  pauses?: PauseControl;
}

export interface Backend {
  recorder: Recorder;
  /** Where tap calls wait as raw bytes until they are made into rows (recorder/tap-journal.ts). */
  journal: TapJournal;
  store: Store;
  ui: { host: string; port: number };
  /** Flushes every record and stops the inspector server; the journal is stored until `deadline` (ms epoch), the rest left in the file. */
  close(deadline: number): Promise<ClosedStats>;
}

export async function startBackend(options: BackendOptions, log: (line: string) => void): Promise<Backend> {
  const codec = createCodec({ protoPaths: options.protoPaths });
  if (!existsSync(join(uiDistDir, 'index.html'))) await buildUi();
  const store = Store.open(options.db, {
    codec,
    recording: true,
    checkpointsElsewhere: true,
    onError: (message) => log(`recording: ${message}`),
    onNotice: (message) => log(`recording: ${message}`),
    ...(process.env[TEST_MAX_DB_BYTES] ? { maxBytes: Number(process.env[TEST_MAX_DB_BYTES]) } : {}),
  });
  const recovered = TapJournal.recover(store, codec, log);
  for (const line of recovered.kept) log(`recording: ${line}`);
  if (recovered.stored > 0) log(`recording: ${recoveredNotice(options.db, recovered.stored)}`);
  const checkpoints = startCheckpoints(options.db, log);
  const recorder = new Recorder(codec, store);
  const journal = new TapJournal(store, recorder, { log });
  // Resend forwards from this thread through a replay target of its own: the proxy's thread stays as lean as it was.
  const replay = new ReplayService({ codec, store, recorder, upstream: new URL(options.upstream), insecure: options.insecure, maxBody: options.maxBody });
  let server;
  try {
    server = await startInspectorServer({
      store,
      host: options.ui.host,
      port: options.ui.port,
      token: options.uiToken,
      allowHosts: options.uiAllowHosts,
      log,
      replay,
      export: { codec, toolVersion },
      rules: options.rules,
      pauses: options.pauses,
    });
  } catch (err) {
    recorder.stop();
    journal.stop();
    await checkpoints.stop();
    store.close();
    throw err;
  }
  recorder.addListener(server.live);
  if (!options.quiet) recorder.addListener(new TerminalPrinter(log));

  return {
    recorder,
    journal,
    store,
    ui: server.address,
    async close(deadline) {
      recorder.stop();
      await server.close();
      await replay.close();
      // The file is complete for the next reader, unless a long burst left more than the
      // bridge's close timeout allows: that stays journaled, for the next run or reader.
      journal.finish(deadline);
      journal.stop();
      // The totals printed at exit must count what is still queued: written, or dropped if it cannot be.
      store.flushForGood();
      const { exchanges, frames, writeFailures, dropped } = store.stats();
      await checkpoints.stop();
      store.close();
      return { exchanges, frames, writeFailures, dropped };
    },
  };
}
