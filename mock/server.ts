// The mock: a recording (or a capture file) served as the upstream. /exec, /ws and other
// paths answer from the recording (mock/exec.ts, mock/ws.ts, mock/http.ts); the recording
// is read once at start, through the Store, and the file is closed again.

import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../model/user-error.ts';
import { listen } from '../proxy/listen.ts';
import { recordingCodec } from '../storage/capture-meta.ts';
import { Store } from '../storage/store.ts';
import { answerExec, type MatchMode } from './exec.ts';
import { Forwarder } from './forward.ts';
import { answerOther } from './http.ts';
import { parseIgnore } from './key.ts';
import { loadRecording, type Recording } from './recording.ts';
import { ExecReleases } from './releases.ts';
import { attachWsMock, type Timing } from './ws.ts';
import { recoverOrphanedJournal } from '../recorder/tap-journal.ts';

export interface MockOptions {
  /** The recording or capture file. */
  db: string;
  filter?: string;
  protoPaths?: string[];
  /** --ignore paths, in the JSON tree's notation with * for any key or index. */
  ignore?: string[];
  match?: MatchMode;
  timing?: Timing;
  /** Where unmatched /exec requests go; none answers them with SE_INTERNAL_SERVER_ERROR. */
  forwardUnmatched?: URL;
  listen: { host: string; port: number };
  /** The flag named when listening fails. */
  listenFlag?: string;
  /** One line per answer that was not an exact match. */
  say: (line: string) => void;
}

export interface MockServer {
  url: URL;
  loaded: { execKeys: number; execExchanges: number; sessions: number; otherAnswers: number; skipped: number };
  close(): Promise<void>;
}

/** Mended exchanges named one a line, up to a screenful. */
const MENDED_LINES = 20;

function sayMended(mended: Recording['mended'], say: (line: string) => void): void {
  for (const { id, changes } of mended.slice(0, MENDED_LINES)) say(`mock: #${id} cannot be replayed as recorded: ${changes.join('; ')}`);
  const more = mended.length - MENDED_LINES;
  if (more > 0) say(`mock: and ${more.toLocaleString('en-US')} more exchanges cannot be replayed as recorded; each is answered in its nearest valid form`);
}

/** A mistake in what the mock was given (a missing file, say): a sentence naming it and the fix. */
export class MockSetupError extends UserError {}

/** Loads the recording and listens. Throws MockSetupError, SchemaError, StorageError or FilterError with a sentence. */
export async function startMock(options: MockOptions): Promise<MockServer> {
  if (!existsSync(options.db)) {
    throw new MockSetupError(`${options.db} does not exist; pass the recording (--db of the proxy) or a capture file.`);
  }
  const codec = recordingCodec(options.db, options.protoPaths ?? []);
  const ignore = (options.ignore ?? []).map(parseIgnore);
  // Read with the codec it matches with, so the store has no other schema to catch up with.
  const store = Store.open(options.db, { codec });
  let recording;
  try {
    recoverOrphanedJournal(store, codec, (line) => options.say(`mock: ${line}`));
    recording = loadRecording(store, codec, { filter: options.filter, ignore });
  } finally {
    store.close();
  }
  sayMended(recording.mended, options.say);
  const releases = new ExecReleases();
  const forwarder = options.forwardUnmatched ? new Forwarder(options.forwardUnmatched) : null;
  const execOptions = { recording, codec, ignore, match: options.match ?? 'exact', forwarder, releases, say: options.say };

  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && new URL(req.url ?? '/', 'http://mock').pathname === '/exec') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        try {
          answerExec(execOptions, req, Buffer.concat(chunks), res);
        } catch (err) {
          // One request the mock cannot answer must not stop it answering the others.
          options.say(`mock: answering a request to /exec failed (${(err as Error).message}); this is a bug in ca2-inspector, please report it`);
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('The mock failed to answer this request; its terminal says why.\n');
        }
      });
      return;
    }
    answerOther(recording, req, res);
  });
  const ws = attachWsMock(server, { recording, codec, timing: options.timing ?? 'recorded', releases, say: options.say });
  await listen(server, options.listen, options.listenFlag ?? '--listen');
  const { address, port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: new URL(`http://${address.includes(':') ? `[${address}]` : address}:${port}/`),
    loaded: {
      execKeys: recording.exec.size,
      execExchanges: recording.execExchanges,
      sessions: recording.sessions.length,
      otherAnswers: [...recording.http.values()].reduce((n, q) => n + q.answers.length, 0),
      skipped: recording.skipped,
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await ws.close();
        server.closeAllConnections();
        forwarder?.close();
        await stopped;
      })();
      return closing;
    },
  };
}

