// Part of `npm run bench` (--only resummarise): the time to redo stored exchanges after a
// schema change. Stores N /exec exchanges summarised with the bundled schema (as a proxy
// started without --proto would), lets the search index catch up, then reopens the file
// with demo/protos and times re-summarising and re-indexing every row.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodec } from '../proto/codec.ts';
import { execFacts } from '../proto/exchange-facts.ts';
import { flowHead, type HeadFields } from '../support/flow-head.ts';
import { Store } from '../storage/store.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function protocEncode(type: string, text: string): Buffer {
  const out = spawnSync('protoc', [`--encode=${type}`, '-I', 'demo/protos', 'demo/protos/ca2.proto'], { cwd: root, input: text });
  if (out.error || out.status !== 0) throw new Error(`protoc is needed for this part of the benchmark: ${out.error?.message ?? String(out.stderr)}`);
  return out.stdout;
}

export async function benchResummarise(count: number, workDir: string): Promise<void> {
  console.log(`\nre-summarising after a schema change: ${count.toLocaleString('en-US')} stored /exec exchanges, bundled schema → demo/protos`);
  const token = `token: "eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"sub":"usr_1","exp":1900000000}').toString('base64url')}.sig"`;
  const requests = [
    protocEncode('ca2.ClientRequest', 'auth { login { email: "ada@example.com" password: "pw" } }'),
    protocEncode('ca2.ClientRequest', `${token} instances { create { name: "web-01" } }`),
    protocEncode('ca2.ClientRequest', `${token} billing { balance { } }`),
  ];
  const response = protocEncode('ca2.ServerResponse', '');
  const headers: [string, string][] = [['content-type', 'application/x-protobuf']];
  const file = join(workDir, 'resummarise.sqlite');
  const bundled = createCodec();

  let store = Store.open(file, { maxBatch: 5000, flushIntervalMs: 60_000 });
  const writing = performance.now();
  const start = Date.now() - count;
  for (let i = 0; i < count; i++) {
    // Each request and its response carry the same fresh trx, in front of the shared fields.
    const trx = Buffer.concat([Buffer.from([0x0a, 16]), randomBytes(16)]);
    const requestBody = Buffer.concat([trx, requests[i % requests.length]]);
    const responseBody = Buffer.concat([trx, response]);
    const startedAt = start + i;
    const facts = execFacts(bundled, { requestHeaders: headers, requestBody, status: 200, response: { headers, body: responseBody }, at: startedAt });
    const record: HeadFields = {
      id: store.allocateExchangeId(), kind: 'exec', startedAt, endedAt: startedAt + 3, method: 'POST', path: '/exec', status: 200,
      ...facts, clientAddress: '127.0.0.1', state: 'complete', error: null, close: null,
      request: { headers, body: requestBody, truncated: false, size: requestBody.length },
      response: { headers, body: responseBody, truncated: false, size: responseBody.length },
    };
    store.putExchange(flowHead(record));
  }
  store.flush();
  const written = performance.now();
  store.catchUp();
  const indexed = performance.now();
  store.close();
  console.log(`  stored in ${((written - writing) / 1000).toFixed(1)} s; search index caught up in ${((indexed - written) / 1000).toFixed(1)} s`);

  store = Store.open(file, { codec: createCodec({ protoPaths: [join(root, 'demo/protos')] }) });
  const redoing = performance.now();
  const total = store.stats().reindexing?.total ?? 0;
  store.catchUp();
  const seconds = (performance.now() - redoing) / 1000;
  const logins = store.listExchanges({ filter: 'op:login', limit: 1000 }).items.length;
  store.close();
  console.log(`  ${total.toLocaleString('en-US')} rows re-summarised and re-indexed in ${seconds.toFixed(1)} s (${Math.round(total / seconds).toLocaleString('en-US')} rows/s); op:login finds ${logins} on the first page`);
}
