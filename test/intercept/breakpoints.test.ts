// Breakpoints end to end: a rule with break: true pauses a message on the real proxy's
// forwarding path (intercept/stage.ts), the test decides it as the inspector would
// (intercept/pauses.ts), and a client decoding with protobufjs itself sees the outcome.

import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { Pauses, type HeldPause } from '../../intercept/pauses.ts';
import { Refusal } from '../../model/user-refusal.ts';
import { RuleSet } from '../../intercept/rule-set.ts';
import { parseRules } from '../../intercept/rules-file.ts';
import { RuleStage } from '../../intercept/stage.ts';
import { parseBreakTimeout } from '../../cli/rules-option.ts';
import { eventually } from '../../support/proxy-process.ts';
import { RecordingTap, startHarness, startWsUpstream, type Harness } from '../proxy/fixtures.ts';
import { balanceRequest, balanceResponse, ClientRequest, codec, exec, startExecUpstream, TRX, WsEvent } from './exec-fixtures.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function proxyWithBreakpoints(yaml: string, upstreamUrl: string, timeoutMs = 60_000) {
  const set = new RuleSet();
  set.load(parseRules(yaml, 'rules.yaml'));
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  const pauses = new Pauses(codec, { timeoutMs, log });
  const harness = await startHarness(upstreamUrl, { intercept: new RuleStage(set, codec, log, pauses) }, new RecordingTap());
  cleanups.push(() => harness.proxy.close(100));
  cleanups.push(() => pauses.continueAll());
  // Every message that paused in this run, in order: paused(n) waits for the n-th.
  const all: HeldPause[] = [];
  const waiters: (() => void)[] = [];
  pauses.onChange((event) => {
    // A paused frame is said again as frames queue behind it.
    if (event.type !== 'paused' || all.some((p) => p.id === event.pause.id)) return;
    all.push(event.pause);
    for (const wake of waiters.splice(0)) wake();
  });
  const paused = async (count = 1): Promise<HeldPause[]> => {
    while (all.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return all.slice(0, count);
  };
  return { harness, pauses, logs, paused };
}

const decodeRequest = (bytes: Uint8Array) => ClientRequest.toObject(ClientRequest.decode(bytes), { longs: String, bytes: String }) as Record<string, any>;

describe('breakpoints on /exec', () => {
  test('a request paused and continued with an edit: the upstream receives the edit, the flow keeps both versions, the terminal says both', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, pauses, logs, paused } = await proxyWithBreakpoints('- { name: break on balance, at: request, match: "op:balance", break: true }\n', upstream.url);
    const answer = exec(harness, balanceRequest());
    const [pause] = await paused();
    assert.equal(pause!.point, 'request');
    assert.equal(pause!.call, 'billing.balance');
    assert.equal(pause!.rule, 'break on balance');
    assert.deepEqual(Buffer.from(pause!.message.base64, 'base64'), balanceRequest());
    assert.equal(received.bodies.length, 0, 'nothing went upstream while paused');
    const json = { ...(pause!.message.json as object), token: 'edited at a breakpoint' };
    assert.deepEqual(pauses.decide(pause!.id, { action: 'continue', message: { json } }), { id: pause!.id, how: 'continued', changed: 1 });
    await answer;
    assert.equal(decodeRequest(received.bodies[0]!).token, 'edited at a breakpoint');
    const flow = await harness.recording.endedFlow();
    assert.deepEqual(Buffer.from(flow.original!.request!.body), balanceRequest(), 'what the client sent is kept');
    assert.deepEqual(Buffer.from(flow.request.body), received.bodies[0]);
    assert.deepEqual(flow.editedAtBreakpoint, ['request'], 'marked as edited at a breakpoint');
    assert.deepEqual(logs.filter((l) => !l.startsWith('rules:')), [`paused #${pause!.id} billing.balance at request (rule "break on balance"); continues by itself in 60 s`, `#${pause!.id} continued with 1 field changed`]);
    assert.equal(pauses.size, 0);
  });

  test('continue without an edit sends the very bytes that came, and nothing is stored as changed', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, pauses, paused } = await proxyWithBreakpoints('- { name: look, at: request, break: true }\n', upstream.url);
    const answer = exec(harness, balanceRequest());
    const [pause] = await paused();
    pauses.decide(pause!.id, { action: 'continue', message: { json: pause!.message.json } });
    assert.deepEqual((await answer).bytes, balanceResponse(TRX));
    assert.deepEqual(received.bodies, [balanceRequest()]);
    const flow = await harness.recording.endedFlow();
    assert.equal(flow.original, undefined);
    assert.equal(flow.editedAtBreakpoint, undefined);
  });

  test('a response paused and edited: the client decodes the edit', async () => {
    const { upstream } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, pauses, paused } = await proxyWithBreakpoints('- { name: break on answers, at: response, match: "service:billing", break: true }\n', upstream.url);
    const answer = exec(harness, balanceRequest());
    const [pause] = await paused();
    assert.equal(pause!.point, 'response');
    const json = structuredClone(pause!.message.json) as Record<string, any>;
    json.errors = ['SE_RATE_LIMIT_EXCEEDED_ERROR'];
    json.billing.balance.balances[0].amount = '42';
    pauses.decide(pause!.id, { action: 'continue', message: { json } });
    const { json: got } = await answer;
    assert.deepEqual(got.errors, ['SE_RATE_LIMIT_EXCEEDED_ERROR']);
    assert.equal(got.billing.balance.balances[0].amount, '42');
    assert.deepEqual((await harness.recording.endedFlow()).editedAtBreakpoint, ['response']);
  });

  test('Answer sends the client a ServerResponse without an upstream call: an empty one echoing the trx, or the one given', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, pauses, logs, paused } = await proxyWithBreakpoints('- { name: stop, at: request, break: true }\n', upstream.url);
    const first = exec(harness, balanceRequest());
    pauses.decide((await paused())[0]!.id, { action: 'answer' });
    const { status, json } = await first;
    assert.equal(status, 200);
    assert.deepEqual(json, { trx: TRX.toString('base64') });
    assert.deepEqual((await harness.recording.endedFlow()).editedAtBreakpoint, ['response'], 'an answer written at the breakpoint');
    const second = exec(harness, balanceRequest());
    const [, pause] = await paused(2);
    pauses.decide(pause!.id, { action: 'answer', message: { json: { errors: ['SE_UNKNOWN_ERROR'] } } });
    assert.deepEqual((await second).json.errors, ['SE_UNKNOWN_ERROR']);
    assert.equal(received.bodies.length, 0, 'the upstream was never called');
    assert.match(logs.join('\n'), /#1 answered without going upstream/);
  });

  test('each kind of abort: a reset, a status, and a call left unanswered', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, pauses, paused } = await proxyWithBreakpoints('- { name: stop, at: request, break: true }\n', upstream.url);

    const reset = exec(harness, balanceRequest());
    pauses.decide((await paused(1))[0]!.id, { action: 'abort', abort: { reset: true } });
    await assert.rejects(reset, (err: Error & { cause?: { code?: string } }) => err.cause?.code === 'UND_ERR_SOCKET' || err.cause?.code === 'ECONNRESET');

    const status = exec(harness, balanceRequest());
    pauses.decide((await paused(2))[1]!.id, { action: 'abort', abort: { status: 503 } });
    assert.equal((await status).status, 503);

    const gaveUp = new AbortController();
    const unanswered = exec(harness, balanceRequest(), gaveUp.signal);
    pauses.decide((await paused(3))[2]!.id, { action: 'abort', abort: { timeout: true } });
    gaveUp.abort();
    await assert.rejects(unanswered);
    const given = await eventually(() => harness.recording.ended.find((f) => f.error?.kind === 'client-aborted'), 'the call left unanswered ended by its client');
    assert.match(given.error!.message, /until the client gave up/, 'it was left unanswered until the client gave up');
    assert.equal(received.bodies.length, 0);
  });

  test('a pause nobody decides continues unchanged when its time runs out', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, logs } = await proxyWithBreakpoints('- { name: stop, at: request, break: true }\n', upstream.url, 200);
    const { bytes } = await exec(harness, balanceRequest());
    assert.deepEqual(bytes, balanceResponse(TRX));
    assert.deepEqual(received.bodies, [balanceRequest()]);
    assert.deepEqual(logs.filter((l) => !l.startsWith('rules:')), ['paused #1 billing.balance at request (rule "stop"); continues by itself in 200 ms', '#1 continued unchanged: its 200 ms ran out']);
  });

  test('50 calls paused at once and continued all at once: every one answered with its own trx', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, pauses, paused } = await proxyWithBreakpoints('- { name: stop, at: request, break: true }\n', upstream.url);
    const trx = (i: number) => Buffer.from(`call-${String(i).padStart(3, '0')}`);
    const calls = Array.from({ length: 50 }, (_, i) => exec(harness, Buffer.from(ClientRequest.encode(ClientRequest.fromObject({ trx: trx(i), billing: { balance: {} } })).finish())));
    await paused(50);
    assert.equal(pauses.continueAll(), 50);
    const answers = await Promise.all(calls);
    answers.forEach((answer, i) => assert.equal(Buffer.from(answer.json.trx, 'base64').toString(), trx(i).toString()));
    assert.equal(received.bodies.length, 50);
  });

  test('a decision that cannot be carried out is refused with a sentence, and the message stays paused', async () => {
    const { upstream } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, pauses, paused } = await proxyWithBreakpoints('- { name: stop, at: response, break: true }\n', upstream.url);
    const answer = exec(harness, balanceRequest());
    const [pause] = await paused();
    const refused = (decision: unknown, status: number, sentence: RegExp) =>
      assert.throws(() => pauses.decide(pause!.id, decision), (err: unknown) => err instanceof Refusal && err.status === status && sentence.test(err.message));
    refused({ action: 'answer' }, 400, /only a paused request can be answered/);
    refused({ action: 'abort', abort: { close: 4001 } }, 400, /close ends a WebSocket/);
    refused({ action: 'continue', message: { json: { billing: { balance: { balances: [{ amount: 'lots' }] } } } } }, 400, /does not fit ServerResponse: .*amount/);
    refused({ action: 'continue', message: { base64: 'not base64!' } }, 400, /not base64/);
    refused({ action: 'continue', message: { base64: 'A' } }, 400, /not base64 text .*multiple of 4/);
    refused({ action: 'abort', abort: { status: 100 } }, 400, /abort\.status must be an HTTP status from 200 to 599/);
    refused({ action: 'abort', abort: { status: 503 }, message: { json: {} } }, 400, /an abort takes no message/);
    refused({ action: 'go' }, 400, /action must be "continue", "answer" or "abort"/);
    assert.throws(() => pauses.inject(pause!.id, { from: 'server', message: { json: {} } }), /only the WebSocket of a paused frame takes injected frames/);
    assert.throws(() => pauses.decide(999, { action: 'continue' }), (err: unknown) => err instanceof Refusal && err.status === 404);
    assert.equal(pauses.size, 1, 'still paused');
    pauses.decide(pause!.id, { action: 'continue' });
    assert.deepEqual((await answer).bytes, balanceResponse(TRX));
  });
  test('aborts at the response too: a status in place of the upstream\'s answer, and a reset', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, pauses, paused } = await proxyWithBreakpoints('- { name: answers, at: response, break: true }\n', upstream.url);
    const status = exec(harness, balanceRequest());
    pauses.decide((await paused(1))[0]!.id, { action: 'abort', abort: { status: 502 } });
    assert.equal((await status).status, 502);
    const reset = exec(harness, balanceRequest());
    pauses.decide((await paused(2))[1]!.id, { action: 'abort', abort: { reset: true } });
    await assert.rejects(reset, (err: Error & { cause?: { code?: string } }) => err.cause?.code === 'UND_ERR_SOCKET' || err.cause?.code === 'ECONNRESET');
    assert.equal(received.bodies.length, 2, 'both went upstream; their answers were aborted');
  });

  test('a paused call whose client goes away ends: nothing goes upstream, it is no longer listed, and the terminal says why', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, pauses, logs, paused } = await proxyWithBreakpoints('- { name: stop, at: request, break: true }\n', upstream.url, 0);
    const gaveUp = new AbortController();
    const call = exec(harness, balanceRequest(), gaveUp.signal);
    const [pause] = await paused();
    gaveUp.abort();
    await assert.rejects(call);
    await eventually(() => (pauses.size === 0 ? true : undefined), 'the pause ended with its client');
    assert.ok(logs.includes(`#${pause!.id} ended: its client or connection went away while it was paused, so nothing went on`), logs.join('\n'));
    assert.throws(() => pauses.decide(pause!.id, { action: 'continue' }), (err: unknown) => err instanceof Refusal && err.status === 404);
    assert.equal(received.bodies.length, 0);
  });

  test('once stopped (the proxy stopping, the inspector gone), paused calls go on and nothing pauses any more', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, pauses, logs, paused } = await proxyWithBreakpoints('- { name: stop, at: request, break: true }\n', upstream.url, 0);
    const first = exec(harness, balanceRequest());
    await paused();
    pauses.stop('the proxy is stopping', { sayIfNonePaused: false });
    assert.deepEqual((await first).bytes, balanceResponse(TRX));
    assert.deepEqual((await exec(harness, balanceRequest())).bytes, balanceResponse(TRX), 'not paused');
    assert.equal(received.bodies.length, 2);
    assert.ok(logs.includes('breakpoints: the proxy is stopping; nothing pauses any more, and the paused message went on as it came.'), logs.join('\n'));
  });

  test('a proxy stopping with nothing paused says nothing of breakpoints; breakpoints stopping mid-run are said', async () => {
    const { upstream } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const stopping = await proxyWithBreakpoints('- { name: stop, at: request, break: true }\n', upstream.url, 0);
    stopping.pauses.stop('the proxy is stopping', { sayIfNonePaused: false });
    assert.deepEqual(stopping.logs.filter((line) => line.startsWith('breakpoints:')), []);
    const gone = await proxyWithBreakpoints('- { name: stop, at: request, break: true }\n', upstream.url, 0);
    gone.pauses.stop('nothing can decide a pause', { sayIfNonePaused: true });
    assert.deepEqual(gone.logs.filter((line) => line.startsWith('breakpoints:')), ['breakpoints: nothing can decide a pause; nothing pauses any more.']);
  });
});

/** A WebSocket client through the proxy that has sent its WsAuth, and the amounts of the billing events it got, in order. */
async function billingClient(harness: Harness): Promise<{ client: WebSocket; got: string[] }> {
  const client = new WebSocket(`${harness.wsUrl}/ws`);
  cleanups.push(() => client.terminate());
  const got: string[] = [];
  client.on('message', (data: Buffer) => got.push((WsEvent.toObject(WsEvent.decode(data), { longs: String }) as any).billing.balances[0].amount));
  await new Promise((resolve) => client.on('open', resolve));
  client.send(Buffer.from([0x12, 0x01, 0x41]));
  return { client, got };
}

describe('breakpoints on WebSocket frames', () => {
  test('a server frame paused holds the frames behind it in order while the client direction flows', async () => {
    const upstream = await startWsUpstream();
    cleanups.push(() => upstream.close());
    const event = (amount: number) => Buffer.from(WsEvent.encode(WsEvent.fromObject({ billing: { balances: [{ currency: 1, amount }] } })).finish());
    const fromClient: string[] = [];
    upstream.server.on('connection', (ws) => {
      ws.once('message', () => {
        for (const amount of [1, 2, 3]) ws.send(event(amount));
        ws.on('message', (data: Buffer) => fromClient.push(data.toString()));
      });
    });
    const { harness, pauses, paused } = await proxyWithBreakpoints('- { name: break on ones, at: ws:server, match: "field:billing.balances[0].amount=1", break: true }\n', upstream.url);
    const { client, got } = await billingClient(harness);
    const [pause] = await paused();
    assert.equal(pause!.point, 'ws:server');
    client.send('while paused');
    await new Promise<void>((resolve) => {
      const check = setInterval(() => fromClient.length > 0 && (clearInterval(check), resolve()), 5);
    });
    assert.deepEqual(fromClient, ['while paused'], 'the client direction flows');
    assert.deepEqual(got, [], 'the frames behind the paused one wait');
    await eventually(() => (pauses.list()[0]?.waiting === 2 ? true : undefined), 'two frames counted as waiting behind the paused one');
    const json = structuredClone(pause!.message.json) as any;
    json.billing.balances[0].amount = '100';
    pauses.decide(pause!.id, { action: 'continue', message: { json } });
    await new Promise<void>((resolve) => {
      const check = setInterval(() => got.length === 3 && (clearInterval(check), resolve()), 5);
    });
    assert.deepEqual(got, ['100', '2', '3'], 'in order, the first as edited');
    const marked = harness.recording.frames.filter((f) => f.direction === 'server').map((f) => f.mark ?? null);
    assert.deepEqual(marked, ['breakpoint', null, null], 'the edited frame is marked, with what the server sent kept');
  });

  test('a frame injected from a paused connection, in either direction, goes out at once and is recorded as injected', async () => {
    const upstream = await startWsUpstream();
    cleanups.push(() => upstream.close());
    const fromClient: Buffer[] = [];
    upstream.server.on('connection', (ws) => {
      ws.once('message', () => {
        ws.send(Buffer.from(WsEvent.encode(WsEvent.fromObject({ billing: { balances: [{ amount: 1 }] } })).finish()));
        ws.on('message', (data: Buffer) => fromClient.push(data));
      });
    });
    const { harness, pauses, logs, paused } = await proxyWithBreakpoints('- { name: break, at: ws:server, break: true }\n', upstream.url);
    const { got } = await billingClient(harness);
    const [pause] = await paused();
    pauses.inject(pause!.id, { from: 'server', message: { json: { billing: { balances: [{ amount: '77' }] } } } });
    pauses.inject(pause!.id, { from: 'client', message: { json: { token: 'injected token' } } });
    await new Promise<void>((resolve) => {
      const check = setInterval(() => got.length === 1 && fromClient.length === 1 && (clearInterval(check), resolve()), 5);
    });
    assert.deepEqual(got, ['77'], 'the injected event went out while the paused one waits');
    assert.equal(Buffer.from(fromClient[0]!).subarray(2).toString(), 'injected token', 'the upstream got the injected WsAuth');
    assert.throws(() => pauses.inject(pause!.id, { from: 'nowhere', message: { json: {} } }), /from must be "client" or "server"/);
    pauses.decide(pause!.id, { action: 'continue' });
    await new Promise<void>((resolve) => {
      const check = setInterval(() => got.length === 2 && (clearInterval(check), resolve()), 5);
    });
    assert.deepEqual(got, ['77', '1']);
    const injected = harness.recording.frames.filter((f) => f.mark === 'injected');
    assert.deepEqual(injected.map((f) => [f.direction, f.rule]), [['server', 'break'], ['client', 'break']]);
    assert.ok(logs.includes(`#${pause!.id}: a frame injected as if the server had sent it`), logs.join('\n'));
  });

  test('a close the client sends after a paused frame waits behind it: the server gets the frame, then the close', async () => {
    const upstream = await startWsUpstream();
    cleanups.push(() => upstream.close());
    const seen: string[] = [];
    upstream.server.on('connection', (ws) => {
      ws.on('message', (data: Buffer) => seen.push(`frame ${data.toString('hex')}`));
      ws.on('close', (code) => seen.push(`close ${code}`));
    });
    const { harness, pauses, paused } = await proxyWithBreakpoints('- { name: auth, at: ws:client, break: true }\n', upstream.url);
    const { client } = await billingClient(harness);
    const [pause] = await paused();
    client.close(1000, 'bye');
    await new Promise((resolve) => client.on('close', resolve));
    assert.deepEqual(seen, [], 'nothing reached the server while the frame was paused');
    pauses.decide(pause!.id, { action: 'continue' });
    await eventually(() => (seen.length === 2 ? true : undefined), 'the frame and the close at the server');
    assert.deepEqual(seen, ['frame 120141', 'close 1000']);
  });

  test('a paused frame whose connection ends is no longer paused', async () => {
    const upstream = await startWsUpstream();
    cleanups.push(() => upstream.close());
    upstream.server.on('connection', (ws) => ws.once('message', () => ws.send(Buffer.from(WsEvent.encode(WsEvent.fromObject({ billing: { balances: [{ amount: 1 }] } })).finish()))));
    const { harness, pauses, logs, paused } = await proxyWithBreakpoints('- { name: events, at: ws:server, break: true }\n', upstream.url, 0);
    const { client } = await billingClient(harness);
    const [pause] = await paused();
    client.terminate();
    await eventually(() => (pauses.size === 0 ? true : undefined), 'the pause ended with its connection');
    assert.ok(logs.includes(`#${pause!.id} ended: its client or connection went away while it was paused, so nothing went on`), logs.join('\n'));
  });

  test('frames behind a paused one are counted in waiting events, and past a megabyte their side is not read until they go', async () => {
    const upstream = await startWsUpstream();
    cleanups.push(() => upstream.close());
    const big = Buffer.alloc(1 << 20, 7);
    let written = 0;
    let tick = () => {};
    upstream.server.on('connection', (ws) => {
      ws.once('message', () => {
        ws.send(Buffer.from(WsEvent.encode(WsEvent.fromObject({ billing: { balances: [{ amount: 1 }] } })).finish()));
        for (let i = 0; i < 30; i++) ws.send(big, () => written++);
        ws.on('message', () => tick());
      });
    });
    const { harness, pauses, paused } = await proxyWithBreakpoints('- { name: ones, at: ws:server, match: "field:billing.balances[0].amount=1", break: true }\n', upstream.url);
    const events: string[] = [];
    pauses.onChange((event) => events.push(event.type));
    const client = new WebSocket(`${harness.wsUrl}/ws`);
    cleanups.push(() => client.terminate());
    let got = 0;
    client.on('message', () => got++);
    await new Promise((resolve) => client.on('open', resolve));
    client.send(Buffer.from([0x12, 0x01, 0x41]));
    const [pause] = await paused();
    await eventually(() => ((pauses.list()[0]?.waiting ?? 0) >= 1 ? true : undefined), 'a megabyte waiting behind the paused frame');
    // Meanwhile the client's side flows, one frame at a time through the proxy: 600 turns of
    // its event loop, each of which would read 64 KB or more of the server's 30 MB were it reading.
    for (let i = 1; i <= 600; i++) {
      await new Promise<void>((resolve) => {
        tick = resolve;
        client.send('tick');
      });
    }
    const waiting = pauses.list()[0]!.waiting!;
    assert.ok(waiting < 30 && written < 30, `the server was held back: ${waiting} frames read behind the paused one, ${written} of 30 written out`);
    assert.ok(events.includes('waiting'), 'the count went out as waiting events');
    assert.equal(events.filter((e) => e === 'paused').length, 1, 'the paused frame is said once, its count in waiting events');
    pauses.decide(pause!.id, { action: 'continue' });
    await eventually(() => (got === 31 ? true : undefined), 'every frame at the client once it went on');
  });

  test('50 frames on one WebSocket, each paused, continued in reverse order, reach the client in the order they came', async () => {
    const upstream = await startWsUpstream();
    cleanups.push(() => upstream.close());
    const event = (amount: number) => Buffer.from(WsEvent.encode(WsEvent.fromObject({ billing: { balances: [{ currency: 1, amount }] } })).finish());
    upstream.server.on('connection', (ws) => ws.once('message', () => {
      for (let i = 1; i <= 50; i++) ws.send(event(i));
    }));
    const { harness, pauses, paused } = await proxyWithBreakpoints('- { name: every event, at: ws:server, break: true }\n', upstream.url);
    const { got } = await billingClient(harness);
    const all = await paused(50);
    for (const pause of [...all].reverse()) pauses.decide(pause.id, { action: 'continue' });
    await eventually(() => (got.length === 50 ? true : undefined), 'all 50 at the client');
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => String(i + 1)));
  });

  test('abort of a paused frame closes the connection with the code given', async () => {
    const upstream = await startWsUpstream();
    cleanups.push(() => upstream.close());
    upstream.server.on('connection', (ws) => ws.once('message', () => ws.send(Buffer.from(WsEvent.encode(WsEvent.fromObject({ billing: { balances: [{ amount: 1 }] } })).finish()))));
    const { harness, pauses, paused } = await proxyWithBreakpoints('- { name: break, at: ws:server, break: true }\n', upstream.url);
    const client = new WebSocket(`${harness.wsUrl}/ws`);
    cleanups.push(() => client.terminate());
    const closed = new Promise<[number, string]>((resolve) => client.on('close', (code, reason) => resolve([code, reason.toString()])));
    await new Promise((resolve) => client.on('open', resolve));
    client.send(Buffer.from([0x12, 0x01, 0x41]));
    const [pause] = await paused();
    pauses.decide(pause!.id, { action: 'abort', abort: { close: 4001, reason: 'stopped at a breakpoint' } });
    assert.deepEqual(await closed, [4001, 'stopped at a breakpoint']);
  });
});

describe('the rules file and --break-timeout', () => {
  test('break: true is an action of its own; with an action that leaves nothing to pause it is refused', () => {
    assert.equal(parseRules('- { name: b, at: request, break: true }', 'r.yaml')[0]!.break, true);
    assert.throws(() => parseRules('- { name: b, at: request, break: false }', 'r.yaml'), /rule "b" has no action/);
    assert.throws(() => parseRules('- { name: b, at: request, break: "yes" }', 'r.yaml'), /r\.yaml:1: rule "b": break: expected true or false/);
    assert.throws(() => parseRules('- { name: b, at: request, break: true, fail: reset }', 'r.yaml'), /leaves nothing to pause/);
  });

  test('--break-timeout reads seconds, ms and minutes, 0 for no limit, and refuses the rest', () => {
    assert.equal(parseBreakTimeout(undefined), 60_000);
    assert.equal(parseBreakTimeout('30'), 30_000);
    assert.equal(parseBreakTimeout('1500ms'), 1500);
    assert.equal(parseBreakTimeout('2m'), 120_000);
    assert.equal(parseBreakTimeout('0'), 0);
    assert.throws(() => parseBreakTimeout('soon'), /--break-timeout soon: expected a time such as 60s/);
    assert.throws(() => parseBreakTimeout('-1'), /--break-timeout -1/);
  });
});

