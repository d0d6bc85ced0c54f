// Rules changing traffic in flight, end to end: a real upstream started here, the real
// proxy with the rule stage, and a client that encodes and decodes with protobufjs
// itself, not with our codec. The schema is the demo's (demo/protos), as a user's would be.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { RuleSet } from '../../intercept/rule-set.ts';
import { parseRules } from '../../intercept/rules-file.ts';
import { RulesWatch } from '../../intercept/rules-watch.ts';
import { RuleStage } from '../../intercept/stage.ts';
import { RecordingTap, startHarness, startWsUpstream } from '../proxy/fixtures.ts';
import { balanceRequest, balanceResponse, ClientRequest, codec, exec, startExecUpstream, topUpRequest, TRX, UNKNOWN_FIELD, WsEvent } from './exec-fixtures.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function proxyWithRules(yaml: string, upstreamUrl: string, seed?: number) {
  const set = new RuleSet({ seed });
  set.load(parseRules(yaml, 'rules.yaml'));
  const logs: string[] = [];
  const recording = new RecordingTap();
  const harness = await startHarness(upstreamUrl, { intercept: new RuleStage(set, codec, (l) => logs.push(l)) }, recording);
  cleanups.push(() => harness.proxy.close(100));
  return { harness, set, logs };
}


describe('rules on /exec', () => {
  test('set and delete on a response: the client decodes the new fields, the unknown field keeps its bytes, both versions are on the flow', async () => {
    const { upstream } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness, set, logs } = await proxyWithRules(
      `
- name: billing is rate limited
  at: response
  match: service:billing op:balance
  set: { errors: [SE_RATE_LIMIT_EXCEEDED_ERROR], "billing.balance.balances[*].amount": "7" }
  delete: ['billing.balance.balances[0].reserved']
`,
      upstream.url,
    );
    const { json, bytes } = await exec(harness, balanceRequest());
    assert.deepEqual(json.errors, ['SE_RATE_LIMIT_EXCEEDED_ERROR']);
    assert.equal(json.billing.balance.balances[0].amount, '7');
    assert.equal(json.billing.balance.balances[0].reserved, undefined, 'deleted');
    assert.ok(bytes.includes(UNKNOWN_FIELD), 'the unknown field 99 is relayed as it came');
    assert.match(execFileSync('protoc', ['--decode_raw'], { input: bytes }).toString(), /^99: 7$/m);
    const flow = await harness.recording.endedFlow();
    assert.deepEqual(flow.rules, ['billing is rate limited']);
    assert.deepEqual(Buffer.from(flow.original!.response!.body), balanceResponse(TRX));
    assert.deepEqual(Buffer.from(flow.response!.body), bytes);
    assert.equal(flow.original!.request, null);
    assert.equal(set.list()[0]!.hits, 1);
    assert.match(logs.join('\n'), /"billing is rate limited" acted for the first time, on POST \/exec billing\.balance/);
  });

  test('a request rewrite is what the upstream receives; the client\'s own request is kept as the original', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness } = await proxyWithRules(
      `
- name: top up by five
  at: request
  match: op:top_up
  set: { billing.top_up.amount: "5" }
`,
      upstream.url,
    );
    const sent = topUpRequest(900);
    await exec(harness, sent);
    const got = ClientRequest.toObject(ClientRequest.decode(received.bodies[0]!), { longs: String }) as Record<string, any>;
    assert.equal(got.billing.topUp.amount, '5');
    assert.equal(got.billing.topUp.cardToken, 'tok_1');
    const flow = await harness.recording.endedFlow();
    assert.deepEqual(Buffer.from(flow.original!.request!.body), sent);
    assert.deepEqual(Buffer.from(flow.request.body), received.bodies[0]);
  });

  test('respond answers without an upstream call, echoing the trx, with the given status', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness } = await proxyWithRules(
      `
- name: billing is down
  at: request
  match: service:billing
  respond: { errors: [SE_INTERNAL_SERVER_ERROR] }
  status: 503
`,
      upstream.url,
    );
    const { status, json } = await exec(harness, balanceRequest());
    assert.equal(status, 503);
    assert.deepEqual(json.errors, ['SE_INTERNAL_SERVER_ERROR']);
    assert.equal(Buffer.from(json.trx, 'base64').toString(), TRX.toString());
    assert.equal(received.bodies.length, 0);
  });

  test('delay holds the request at least as long as asked', async () => {
    const { upstream } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness } = await proxyWithRules('- { name: slow billing, at: request, match: "service:billing", delay: 400ms }', upstream.url);
    const started = performance.now();
    await exec(harness, balanceRequest());
    assert.ok(performance.now() - started >= 400, 'the answer came after the delay');
    assert.deepEqual((await harness.recording.endedFlow()).rules, ['slow billing']);
  });

  test('fail: reset cuts the client off; fail: timeout leaves it waiting until it gives up', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness } = await proxyWithRules(
      `
- { name: reset top ups, at: request, match: "op:top_up", fail: reset }
- { name: hang balances, at: response, match: "op:balance", fail: timeout }
`,
      upstream.url,
    );
    await assert.rejects(exec(harness, topUpRequest(1)));
    const reset = await harness.recording.endedFlow(0);
    assert.match(reset.error!.message, /rule "reset top ups" reset the client's connection/);
    await assert.rejects(exec(harness, balanceRequest(), AbortSignal.timeout(300)), /TimeoutError|aborted/i);
    const hung = await harness.recording.endedFlow(1);
    assert.match(hung.error!.message, /rule "hang balances" left the exchange unanswered until the client gave up/);
    assert.equal(received.bodies.length, 1, 'the reset request never went upstream');
  });

  test('times: only the first N matches; probability: the same seed takes the same matches', async () => {
    const { upstream } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const rules = `
- { name: twice, at: response, match: "op:balance", times: 2, set: { errors: [SE_UNKNOWN_ERROR] } }
`;
    const { harness } = await proxyWithRules(rules, upstream.url);
    const errors = [];
    for (let i = 0; i < 4; i++) errors.push((await exec(harness, balanceRequest())).json.errors?.length ?? 0);
    assert.deepEqual(errors, [1, 1, 0, 0]);

    const chance = `- { name: half, at: response, match: "op:balance", probability: 0.5, set: { errors: [SE_UNKNOWN_ERROR] } }`;
    const pattern = async () => {
      const { harness: h } = await proxyWithRules(chance, upstream.url, 42);
      const taken = [];
      for (let i = 0; i < 12; i++) taken.push((await exec(h, balanceRequest())).json.errors?.length ?? 0);
      return taken.join('');
    };
    const first = await pattern();
    assert.equal(await pattern(), first);
    assert.match(first, /0/);
    assert.match(first, /1/);
  });

  test('with rules loaded, a message no rule changes is relayed byte-identical and carries no rule', async () => {
    const { upstream } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness } = await proxyWithRules(
      `
- { name: top ups only, at: response, match: "op:top_up", set: { errors: [SE_UNKNOWN_ERROR] } }
- { name: nothing to change, at: request, match: "op:balance", set: { trx: "MDEyMzQ1Njc4OWFiY2RlZg==" } }
`,
      upstream.url,
    );
    const { bytes } = await exec(harness, balanceRequest());
    assert.deepEqual(bytes, balanceResponse(TRX));
    const flow = await harness.recording.endedFlow();
    assert.equal(flow.original, undefined, 'a rule that set a field to the value it had changed nothing');
  });

  test('terms the envelope summary cannot answer (token:, field:, problem:) still match: those rules see the messages decoded', async () => {
    const { upstream } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const { harness } = await proxyWithRules(
      `
- { name: by op, at: response, match: "service:billing op:balance token:web-01", set: { errors: [SE_UNKNOWN_ERROR] } }
- { name: by field, at: response, match: "field:billing.balance.balances[0].reserved=5 token:web-02", set: { errors: [SE_RATE_LIMIT_EXCEEDED_ERROR] } }
- { name: by problem, at: request, match: "problem:any", respond: { errors: [SE_UNKNOWN_ERROR] }, status: 400 }
`,
      upstream.url,
    );
    const withToken = (token: string) => Buffer.from(ClientRequest.encode(ClientRequest.fromObject({ trx: TRX, token, billing: { balance: {} } })).finish());
    assert.deepEqual((await exec(harness, withToken('web-01'))).json.errors, ['SE_UNKNOWN_ERROR']);
    assert.deepEqual((await exec(harness, withToken('web-02'))).json.errors, ['SE_RATE_LIMIT_EXCEEDED_ERROR']);
    assert.equal((await exec(harness, withToken('web-03'))).json.errors, undefined, 'no rule matches another token');
    // Field 1 (trx) as a varint: a problem decoding it, which only the whole decode finds.
    const wrongWireType = Buffer.concat([Buffer.from([0x08, 0x01]), withToken('web-03')]);
    const answered = await exec(harness, wrongWireType);
    assert.equal(answered.status, 400);
    assert.deepEqual(answered.json.errors, ['SE_UNKNOWN_ERROR']);
  });

  test('a value that does not fit its field refuses the file naming the rule and the path', async () => {
    const { misfit } = await import('../../intercept/check-values.ts');
    const [rule] = parseRules('- { name: bad amount, at: request, set: { billing.top_up.amount: "lots" } }', 'rules.yaml');
    assert.match(misfit(rule!, codec)!, /^rule "bad amount": set billing\.top_up\.amount: .*/);
    const [typo] = parseRules('- { name: typo, at: response, set: { billing.balanse: {} } }', 'rules.yaml');
    assert.match(misfit(typo!, codec)!, /rule "typo": set billing\.balanse/);
  });

  test('a broken file is one sentence naming the file, line and reason', () => {
    assert.throws(() => parseRules('- name: a\n  at: sideways\n  drop: true\n', 'r.yaml'), /^RulesFileError: r\.yaml:2: rule "a": at: expected one of request, response, ws:client, ws:server\.$/);
    assert.throws(() => parseRules('- name: a\n  at: request\n  set: {a: 1\n', 'r.yaml'), /r\.yaml:\d+: /);
    assert.throws(() => parseRules('- name: a\n  at: request\n  match: "status:"\n  delay: 1s\n', 'r.yaml'), /r\.yaml:3: rule "a": match: /);
    assert.throws(() => parseRules('- { name: a, at: request, delay: 1s }\n- { name: a, at: request, delay: 1s }\n', 'r.yaml'), /r\.yaml:2: a second rule is named "a"/);
    assert.throws(() => parseRules('- { name: a, at: response, drop: true }', 'r.yaml'), /only WebSocket frames can be dropped/);
    assert.throws(() => parseRules('- { name: a, at: request }', 'r.yaml'), /rule "a" has no action/);
  });
});

describe('a stage that fails', () => {
  // A bug in the stage, injected: the proxy must let the message go on as it came, and the stage says so once per point.
  class FailingStage extends RuleStage {
    override request(): never {
      throw new Error('injected request failure');
    }
    override frame(): never {
      throw new Error('injected frame failure');
    }
  }

  test('lets /exec go on unchanged, and says so once', async () => {
    const { upstream, received } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const set = new RuleSet();
    set.load(parseRules('- { name: every request, at: request, set: { token: "changed" } }\n- { name: every frame, at: ws:client, drop: true }\n', 'rules.yaml'));
    const logs: string[] = [];
    const harness = await startHarness(upstream.url, { intercept: new FailingStage(set, codec, (l) => logs.push(l)) }, new RecordingTap());
    cleanups.push(() => harness.proxy.close(100));
    for (let i = 0; i < 3; i++) assert.deepEqual((await exec(harness, balanceRequest())).bytes, balanceResponse(TRX));
    assert.deepEqual(received.bodies, [balanceRequest(), balanceRequest(), balanceRequest()], 'the upstream got the requests as the client sent them');
    const failures = logs.filter((l) => /deciding at request failed/.test(l));
    assert.equal(failures.length, 1, logs.join('\n'));
    assert.match(failures[0]!, /go on as if no rule were loaded \(this is a bug; traffic still flows\): injected request failure/);
  });

  test('lets frames go on unchanged, in order, and says so once', async () => {
    const upstream = await startWsUpstream();
    cleanups.push(() => upstream.close());
    upstream.server.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(data)));
    const set = new RuleSet();
    set.load(parseRules('- { name: every frame, at: ws:client, drop: true }\n', 'rules.yaml'));
    const logs: string[] = [];
    const harness = await startHarness(upstream.url, { intercept: new FailingStage(set, codec, (l) => logs.push(l)) }, new RecordingTap());
    cleanups.push(() => harness.proxy.close(100));
    const client = new WebSocket(`${harness.wsUrl}/ws`);
    cleanups.push(() => client.terminate());
    const echoed: string[] = [];
    const all = new Promise<void>((resolve) => client.on('message', (data: Buffer) => echoed.push(data.toString()) === 3 && resolve()));
    await new Promise((resolve) => client.on('open', resolve));
    for (const text of ['one', 'two', 'three']) client.send(Buffer.from(text));
    await all;
    assert.deepEqual(echoed, ['one', 'two', 'three'], 'no frame was dropped');
    assert.equal(logs.filter((l) => /deciding at frame failed/.test(l)).length, 1, logs.join('\n'));
  });
});

describe('rules on WebSocket frames', () => {
  test('a server frame dropped, one delayed with order kept, one injected, then a close with the rule\'s code', async () => {
    const upstream = await startWsUpstream();
    cleanups.push(() => upstream.close());
    const event = (amount: number) => Buffer.from(WsEvent.encode(WsEvent.fromObject({ billing: { balances: [{ currency: 1, amount }] } })).finish());
    upstream.server.on('connection', (ws) => {
      ws.on('message', () => {
        for (const amount of [1, 2, 3, 4]) ws.send(event(amount));
      });
    });
    const { harness } = await proxyWithRules(
      `
- { name: drop ones, at: ws:server, match: "field:billing.balances[0].amount=1", drop: true }
- { name: slow twos, at: ws:server, match: "field:billing.balances[0].amount=2", delay: 200ms }
- { name: after threes, at: ws:server, match: "field:billing.balances[0].amount=3", inject: [ { billing: { balances: [ { amount: "33" } ] } } ] }
- { name: revoke after four, at: ws:server, match: "field:billing.balances[0].amount=4", fail: close 4001 "token revoked" }
`,
      upstream.url,
    );
    const client = new WebSocket(`${harness.wsUrl}/ws`);
    const got: string[] = [];
    const closed = new Promise<[number, string]>((resolve) => client.on('close', (code, reason) => resolve([code, reason.toString()])));
    client.on('message', (data: Buffer) => {
      const json = WsEvent.toObject(WsEvent.decode(data), { longs: String }) as Record<string, any>;
      got.push(json.billing.balances[0].amount);
    });
    await new Promise((resolve) => client.on('open', resolve));
    client.send(Buffer.from([0x12, 0x01, 0x41]));
    assert.deepEqual(await closed, [4001, 'token revoked']);
    assert.deepEqual(got, ['2', '3', '33', '4']);
    const { close } = await harness.recording.closed();
    assert.equal(close.by, 'proxy');
    const server = harness.recording.frames.filter((f) => f.direction === 'server');
    assert.deepEqual(
      server.map((f) => [f.rule ?? null, f.mark ?? null]),
      [['drop ones', 'dropped'], ['slow twos', null], ['after threes', null], ['after threes', 'injected'], ['revoke after four', null]],
    );
  });
});

describe('the rules file while the proxy runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-rules-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a change is loaded while traffic flows; a broken change keeps the rules loaded before', async () => {
    const { upstream } = await startExecUpstream();
    cleanups.push(() => upstream.close());
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, '- { name: first, at: response, match: "op:balance", set: { errors: [SE_UNKNOWN_ERROR] } }\n');
    const set = new RuleSet();
    const logs: string[] = [];
    const loaded = (n: number) => new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (logs.filter((l) => /loaded|stay/.test(l)).length >= n) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    const watch = new RulesWatch(file, set, codec, (l) => logs.push(l));
    watch.start();
    cleanups.push(() => watch.close());
    const harness = await startHarness(upstream.url, { intercept: new RuleStage(set, codec, () => undefined) });
    cleanups.push(() => harness.proxy.close(100));

    let flowing = true;
    const traffic = (async () => {
      let n = 0;
      while (flowing) {
        await exec(harness, balanceRequest());
        n++;
      }
      return n;
    })();
    assert.deepEqual((await exec(harness, balanceRequest())).json.errors, ['SE_UNKNOWN_ERROR']);
    writeFileSync(file, '- { name: second, at: response, match: "op:balance", set: { errors: [SE_INVALID_TRX_ERROR] } }\n');
    await loaded(2);
    assert.deepEqual((await exec(harness, balanceRequest())).json.errors, ['SE_INVALID_TRX_ERROR']);
    writeFileSync(file, '- { name: third, at: nowhere }\n');
    await loaded(3);
    assert.match(logs.at(-1)!, /rules\.yaml:1: rule "third": at: expected one of .*\. The 1 rule\(s\) loaded before stay\./);
    assert.deepEqual((await exec(harness, balanceRequest())).json.errors, ['SE_INVALID_TRX_ERROR']);
    flowing = false;
    assert.ok((await traffic) > 0);
    assert.deepEqual(set.list().map((r) => r.name), ['second']);
  });
});
