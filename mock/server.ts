// The mock: a recording (or a capture file) served as the upstream. /exec, /ws and other
// paths answer from the recording (mock/exec.ts, mock/ws.ts, mock/http.ts); the recording
// is read once at start, through the Store, and the file is closed again.

import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../model/user-error.ts';
import { listen } from '../proxy/listen.ts';
import { DEFAULT_MAX_BODY } from '../proxy/context.ts';
import { formatSize } from '../model/format.ts';
import { openForReading } from '../capture/sources.ts';
import { answerExec, type MatchMode } from './exec.ts';
import { Forwarder } from './forward.ts';
import { answerOther } from './http.ts';
import { parseIgnorePath } from '../model/ignore-path.ts';
import { loadRecording, type Recording } from './recording.ts';
import { ExecReleases } from './releases.ts';
import { RepeatedLines } from './repeats.ts';
import { attachWsMock, type Timing } from './ws.ts';

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
  /** The largest /exec body or WebSocket message taken (default 16 MiB); a larger body gets 413. */
  maxBody?: number;
  /** How long a WebSocket may stay open without sending its WsAuth (default 10 s); then 1008. */
  wsAuthTimeoutMs?: number;
  /** How often the count of a repeated line is said (default 10 s); see mock/repeats.ts. */
  repeatReportMs?: number;
  listen: { host: string; port: number };
  /** The flag named when listening fails. */
  listenFlag?: string;
  /** The flag that named the recording, for the sentence that refuses it (default --db). */
  dbFlag?: string;
  /** Lines about the recording, and one per answer that was not an exact match (repeats counted). */
  say: (line: string) => void;
}

export interface MockServer {
  url: URL;
  loaded: { execKeys: number; execExchanges: number; sessions: number; otherAnswers: number; skipped: number; keptSchema: boolean };
  close(): Promise<void>;
}

/** How long a WebSocket may stay silent before its WsAuth. */
const WS_AUTH_TIMEOUT_MS = 10_000;

function refuseLargeBody(res: http.ServerResponse, size: number, maxBody: number, say: (line: string) => void): void {
  const over = `${formatSize(size)}, over --max-body ${formatSize(maxBody)}`;
  say(`mock: refused an /exec body of ${over}, with 413`);
  const text = `The mock refused this request: its body is ${over}; pass a larger --max-body to serve it.\n`;
  res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
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
  const ignore = (options.ignore ?? []).map(parseIgnorePath);
  // Read with the codec it matches with; the file is only read.
  const source = openForReading(options.db, {
    use: { flag: options.dbFlag ?? '--db', command: 'mock', writes: false },
    protoPaths: options.protoPaths,
    notice: (line) => options.say(`mock: ${line}`),
  });
  const { codec } = source;
  let recording;
  try {
    recording = loadRecording(source.store, codec, { filter: options.filter, ignore });
  } finally {
    source.close();
  }
  sayMended(recording.mended, options.say);
  const releases = new ExecReleases();
  const forwarder = options.forwardUnmatched ? new Forwarder(options.forwardUnmatched) : null;
  const lines = new RepeatedLines(options.say, options.repeatReportMs);
  const say = (line: string) => lines.say(line);
  const maxBody = options.maxBody ?? DEFAULT_MAX_BODY;
  const execOptions = { recording, codec, ignore, match: options.match ?? 'exact', forwarder, releases, say };

  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && new URL(req.url ?? '/', 'http://mock').pathname === '/exec') {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Past the limit the body is read to its end, so the client reads the 413, but not kept.
        if (size > maxBody) chunks.length = 0;
        else chunks.push(chunk);
      });
      req.on('error', () => res.destroy());
      req.on('end', () => {
        if (size > maxBody) return refuseLargeBody(res, size, maxBody, say);
        try {
          answerExec(execOptions, req, Buffer.concat(chunks), res);
        } catch (err) {
          // One request the mock cannot answer must not stop it answering the others.
          say(`mock: answering a request to /exec failed (${(err as Error).message}); this is a bug in ca2-inspector, please report it`);
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('The mock failed to answer this request; its terminal says why.\n');
        }
      });
      return;
    }
    answerOther(recording, req, res);
  });
  const ws = attachWsMock(server, {
    recording,
    codec,
    timing: options.timing ?? 'recorded',
    releases,
    maxPayload: maxBody,
    authTimeoutMs: options.wsAuthTimeoutMs ?? WS_AUTH_TIMEOUT_MS,
    say,
  });
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
      keptSchema: source.schema !== null && (options.protoPaths ?? []).length === 0,
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await ws.close();
        server.closeAllConnections();
        forwarder?.close();
        await stopped;
        lines.close();
      })();
      return closing;
    },
  };
}

