// Recording traffic for replay tests the way the proxy does: the forwarding core with a
// tap into a recorder and a real SQLite store, in front of a real upstream.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { decodeMessage, encodeMessage } from '../../demo/schema.ts';
import { demoProtoDir } from '../../demo/server.ts';
import { createCodec, type Codec } from '../../proto/codec.ts';
import { startProxy } from '../../proxy/server.ts';
import { Tap } from '../../proxy/tap.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Store } from '../../storage/store.ts';

export const demoCodec: Codec = createCodec({ protoPaths: [demoProtoDir] });

export function tempDb(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca2-replay-'));
  return path.join(dir, 'traffic.sqlite');
}

export interface Recording {
  url: URL;
  store: Store;
  /** Stops the proxy and closes the store, so another process can open the file. */
  close(): Promise<void>;
}

export async function recordThrough(upstream: URL, db: string): Promise<Recording> {
  const store = Store.open(db, { codec: demoCodec });
  const recorder = new Recorder(demoCodec, store);
  const tap = new Tap();
  tap.add(recorder);
  const proxy = await startProxy({ upstream, listen: { host: '127.0.0.1', port: 0 }, tap });
  return {
    url: new URL(`http://127.0.0.1:${proxy.address.port}`),
    store,
    async close() {
      await proxy.close(1_000);
      recorder.stop();
      store.close();
    },
  };
}

export interface Answer {
  status: number;
  response: Record<string, any>;
}

/** One /exec call as a ca2 client makes it, with the demo's schema. */
export async function exec(base: URL, body: object, token?: string): Promise<Answer> {
  const request = { trx: Buffer.from(crypto.randomUUID().replaceAll('-', ''), 'hex'), ...(token ? { token } : {}), ...body };
  const res = await fetch(new URL('/exec', base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: new Uint8Array(encodeMessage('ca2.ClientRequest', request)),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, response: decodeMessage<Record<string, any>>('ca2.ServerResponse', bytes) };
}

export async function login(base: URL): Promise<string> {
  const answer = await exec(base, { auth: { login: { email: 'dev@example.com', password: 'demo' } } });
  return answer.response.auth.login.token as string;
}

/** Opens /ws, sends WsAuth, waits for `events` server frames, then closes with 1000. */
export async function wsSession(base: URL, token: string, events = 1): Promise<void> {
  const socket = new WebSocket(`ws://${base.host}/ws`);
  await new Promise<void>((resolve, reject) => {
    let seen = 0;
    socket.on('error', reject);
    socket.on('open', () => socket.send(encodeMessage('ca2.WsAuth', { token })));
    socket.on('message', () => {
      if (++seen === events) socket.close(1000, 'done');
    });
    socket.on('close', () => resolve());
  });
}
