// A Resend to an upstream that answers 101 to a plain request: the replay's own forwarding
// core (replay/target.ts) answers 502 with a sentence, and the replay is recorded with it.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { startDemoServer, type DemoServer } from '../../demo/server.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Replayer } from '../../replay/replayer.ts';
import { ReplayTarget } from '../../replay/target.ts';
import { Store } from '../../storage/store.ts';
import { demoCodec, exec, login, recordThrough, tempDb } from './support.ts';

let demo: DemoServer;
let switching: http.Server;
let store: Store;

before(async () => {
  demo = await startDemoServer({ rateLimit: false, billingIntervalMs: 3_600_000 });
  const db = tempDb();
  const recording = await recordThrough(demo.url, db);
  await exec(recording.url, { servers: { list: {} } }, await login(recording.url));
  await recording.close();
  store = Store.open(db, { codec: demoCodec });
  switching = http.createServer((req) => req.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n'));
  await new Promise<void>((resolve) => switching.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  store.close();
  switching.closeAllConnections();
  switching.close();
  await demo.close();
});

test('a Resend to an upstream that switches protocols ends with 502 and a sentence, recorded with the replay', async () => {
  const upstream = new URL(`http://127.0.0.1:${(switching.address() as { port: number }).port}`);
  const recorder = new Recorder(demoCodec, store);
  const target = await ReplayTarget.start({ upstream, recorder });
  try {
    const original = store.listExchanges({ filter: 'service:servers' }).items[0]!;
    const outcome = await new Replayer(demoCodec, store, target).replay(original.id);
    const sentence = `upstream ${upstream.host} answered 101 Switching Protocols to a request that asked for no upgrade; a client cannot be given that`;
    assert.equal(outcome.error, sentence);
    const replay = store.getExchange(outcome.id)!;
    assert.equal(replay.replayOf, original.id);
    assert.equal(replay.state, 'error');
    assert.equal(replay.error, sentence);
  } finally {
    await target.close();
    recorder.stop();
  }
});
