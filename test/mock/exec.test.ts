import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoProtoDir } from '../../demo/paths.ts';
import { startDemoServer } from '../../demo/server.ts';
import { decodeMessage, encodeMessage } from '../../demo/schema.ts';
import { startMock, type MockOptions } from '../../mock/server.ts';
import { Store } from '../../storage/store.ts';
import { flowHead } from '../../support/flow-head.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-mock-exec-'));
const db = join(dir, 'recorded.sqlite');
const RUNNING = 'INSTANCE_STATUS_RUNNING';
const STOPPED = 'INSTANCE_STATUS_STOPPED';

/** The recording: request content and the `total` its answer carries, ids 1, 2, … in this order. */
const recorded: [request: object, total: number][] = [
  [{ instances: { list: { statuses: [RUNNING] } } }, 1],
  [{ instances: { list: { statuses: [RUNNING, STOPPED], page: { limit: 5 } } } }, 2],
  [{ instances: { list: { statuses: [RUNNING] } } }, 3],
  [{ billing: { balance: {} } }, 4],
];

before(() => {
  const store = Store.open(db);
  for (const [request, total] of recorded) {
    const trx = randomBytes(16);
    const body = encodeMessage('ca2.ClientRequest', { trx, token: 'recorded-token', ...request });
    const answer = encodeMessage('ca2.ServerResponse', { trx, instances: { list: { total } } });
    const at = Date.UTC(2026, 10, 30, 12, 0, total);
    store.putExchange(flowHead({
      id: store.allocateExchangeId(), kind: 'exec', startedAt: at, endedAt: at + 5, method: 'POST', path: '/exec', status: 200,
      service: null, operation: null, trx: null, errors: [], token: null, clientAddress: '127.0.0.1', state: 'complete', problems: [],
      error: null, close: null,
      request: { headers: [['Content-Type', 'application/x-protobuf']], body, truncated: false, size: body.length },
      response: {
        headers: [['Content-Type', 'application/x-protobuf'], ['X-Served-By', 'ca2-test'], ['Connection', 'keep-alive'], ['Keep-Alive', 'timeout=99'], ['Content-Length', String(answer.length)]],
        body: answer, truncated: false, size: answer.length,
      },
    }));
  }
  store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function withMock(options: Partial<MockOptions>, use: (exec: (request: object, trx?: Buffer) => Promise<Answer>, lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const mock = await startMock({ db, protoPaths: [demoProtoDir], listen: { host: '127.0.0.1', port: 0 }, say: (l) => lines.push(l), ...options });
  try {
    await use(async (request, trx = randomBytes(16)) => {
      const res = await fetch(new URL('exec', mock.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: new Uint8Array(encodeMessage('ca2.ClientRequest', { trx, token: 'a-live-token', ...request })),
      });
      const bytes = new Uint8Array(await res.arrayBuffer());
      const response = decodeMessage<{ trx?: Uint8Array; errors?: string[]; instances?: { list?: { total?: number } } }>('ca2.ServerResponse', bytes);
      assert.deepEqual(Buffer.from(response.trx ?? []), trx, 'the answer carries the live trx');
      return { status: res.status, headers: res.headers, total: response.instances?.list?.total, errors: response.errors ?? [] };
    }, lines);
  } finally {
    await mock.close();
  }
}

interface Answer {
  status: number;
  headers: Headers;
  total: number | undefined;
  errors: string[];
}

test('serves several recorded answers for one request in recorded order, then repeats the last', async () => {
  await withMock({}, async (exec) => {
    const totals = [];
    for (let i = 0; i < 4; i++) totals.push((await exec({ instances: { list: { statuses: [RUNNING] } } })).total);
    assert.deepEqual(totals, [1, 3, 3, 3]);
  });
});

test('keeps the recorded headers but the hop-by-hop ones, with the length of the body sent', async () => {
  await withMock({}, async (exec) => {
    const answer = await exec({ billing: { balance: {} } }, Buffer.from('a trx longer than the recorded one'));
    assert.equal(answer.total, 4);
    assert.equal(answer.headers.get('x-served-by'), 'ca2-test');
    assert.notEqual(answer.headers.get('keep-alive'), 'timeout=99');
    assert.equal(answer.headers.get('x-ca2-mock'), null);
  });
});

test('answers a request the recording lacks with SE_INTERNAL_SERVER_ERROR under HTTP 200, and names the nearest recorded one', async () => {
  await withMock({}, async (exec, lines) => {
    const answer = await exec({ instances: { list: { statuses: [STOPPED] } } });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.errors, ['SE_INTERNAL_SERVER_ERROR']);
    const miss = `no recorded instances.list with statuses=["${STOPPED}"]; nearest #1 differs at instances.list.statuses[0] ("${RUNNING}" → "${STOPPED}")`;
    assert.deepEqual(lines, [`mock: ${miss}`]);
    assert.equal(answer.headers.get('x-ca2-mock'), `no match: ${miss.replace('→', '->')}`);

    await exec({ instances: { get: { id: 'i-1' } } });
    assert.equal(lines[1], 'mock: no recorded instances.get with id="i-1"; the recording has no instances.get at all');
  });
});

test('with --match closest, answers with the recorded request of the same operation that differs in the fewest fields, and says so', async () => {
  await withMock({ match: 'closest' }, async (exec, lines) => {
    const answer = await exec({ instances: { list: { statuses: [RUNNING, STOPPED], page: { limit: 6 } } } });
    assert.equal(answer.total, 2);
    assert.equal(answer.headers.get('x-ca2-mock'), 'closest #2 (1 field differs)');
    assert.deepEqual(lines, ['mock: instances.list: no exact match, answered with the closest #2 (1 field differs): instances.list.page.limit (5 → 6)']);
    const other = await exec({ instances: { list: { statuses: [STOPPED] } } });
    assert.equal(other.total, 1);
    assert.equal(other.headers.get('x-ca2-mock'), 'closest #1 (1 field differs)');
  });
});

test('leaves --ignore paths out of matching, with * for any key', async () => {
  await withMock({ ignore: ['*.list.page'] }, async (exec, lines) => {
    assert.equal((await exec({ instances: { list: { statuses: [RUNNING, STOPPED], page: { limit: 99 } } } })).total, 2);
    assert.deepEqual(lines, []);
  });
});

test('with --unmatched forward:URL, sends what the recording lacks to that server and returns its answer', async () => {
  const demo = await startDemoServer();
  try {
    await withMock({ forwardUnmatched: demo.url }, async (exec, lines) => {
      const answer = await exec({ utils: { version: {} } });
      assert.deepEqual(answer.errors, ['SE_INVALID_TOKEN_ERROR'], 'the demo server refuses the made-up token');
      assert.equal(answer.headers.get('x-ca2-mock'), null);
      assert.match(lines[0], new RegExp(`^mock: no recorded utils.version with no fields set; the recording has no utils.version at all; forwarded to ${demo.url.origin}$`));
      assert.equal((await exec({ billing: { balance: {} } })).total, 4, 'recorded requests are still answered from the recording');
    });
  } finally {
    await demo.close();
  }
});
