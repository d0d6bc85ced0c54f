// Exports of traffic that rules changed in flight keep both versions: HAR in `_`-prefixed
// fields, a capture in its rows. Import gives them back, and redaction reaches the originals.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRecording, ExportError } from '../../capture/export.ts';
import { openForImport, recordAll } from '../../capture/record.ts';
import { SourceError } from '../../capture/source-error.ts';
import { flowsIn, importInto as importFile } from './import-file.ts';
import type { Flow } from '../../model/flow.ts';
import { createCodec } from '../../proto/codec.ts';
import { Store } from '../../storage/store.ts';
import { harViolations } from './har-schema.ts';
import { projectRoot } from '../../support/proxy-process.ts';
import { wireFlow } from '../../support/flow-head.ts';
import { demoProtos, protocEncode } from './sample-recording.ts';
import { ruled, ruledTokens, writeRuledRecording } from './ruled-recording.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-rules-export-'));
const recording = join(dir, 'ruled.sqlite');
const codec = createCodec({ protoPaths: [demoProtos] });
let source: Store;

before(() => {
  writeRuledRecording(recording);
  source = Store.open(recording, { codec });
});
after(() => {
  source.close();
  rmSync(dir, { recursive: true, force: true });
});

async function exportTo(name: string, redact: boolean, from: Store = source) {
  const output = join(dir, name);
  await exportRecording(from, { format: name.endsWith('.har') ? 'har' : 'capture', output, redact, codec, toolVersion: '0.1.0-test' });
  return output;
}

function importInto(db: string, file: string): number[] {
  return importFile(db, file, codec).ids;
}

/** Every flow of a file, oldest first, as plain data: bytes in base64, without the ids a file gives or the client's address, which a HAR does not keep. */
function flowsOf(file: string): unknown[] {
  const store = Store.open(file, { codec });
  try {
    return [...store.flows({ order: 'oldest' })].map(({ id: _id, identity: _identity, clientAddress: _address, ...flow }: Flow) => plain(flow));
  } finally {
    store.close();
  }
}

function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** protoc's own reading of the bytes: an oracle nobody here wrote. */
function decodeRaw(bytes: Buffer): string {
  const out = spawnSync('protoc', ['--decode_raw'], { input: bytes, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout;
}

function har(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Every token of the fixture found in the file's bytes or in the bytes of a base64 string in it. */
function tokensIn(file: string): string[] {
  const bytes = readFileSync(file).toString('latin1');
  const texts = [bytes];
  for (const match of bytes.matchAll(/[A-Za-z0-9+/_-]{8,}={0,2}/g)) {
    texts.push(Buffer.from(match[0], 'base64').toString('latin1'), Buffer.from(match[0], 'base64url').toString('latin1'));
  }
  return Object.entries(ruledTokens).filter(([, token]) => texts.some((text) => text.includes(token))).map(([name]) => name);
}

describe('a HAR export of traffic rules changed', () => {
  test('keeps the rules, what the client sent and the upstream answered in _original, and each frame rule, mark and original, as valid HAR 1.2', async () => {
    const file = await exportTo('ruled.har', false);
    const log = har(file).log;
    assert.deepEqual(harViolations(har(file)), []);
    const [list, login, ws] = log.entries;

    assert.deepEqual(list._ca2.rules, ['eu only']);
    assert.deepEqual(list._ca2.editedAtBreakpoint, ['request']);
    assert.equal(login._ca2.editedAtBreakpoint, undefined);
    assert.equal(list.request.postData.text, ruled.listUpstream.toString('base64'), 'the entry holds what went upstream');
    const sent = list.request._original;
    assert.equal(sent.postData._encoding, 'base64');
    const sentRaw = decodeRaw(Buffer.from(sent.postData.text, 'base64'));
    assert.match(sentRaw, new RegExp(`2: "${ruledTokens.client}"`));
    assert.doesNotMatch(sentRaw, /eu-west/);
    assert.equal(sent.postData._decoded.token, ruledTokens.client);
    assert.deepEqual(sent.headers.find((h: any) => h.name === 'Authorization'), { name: 'Authorization', value: `Bearer ${ruledTokens.bearer}` });
    assert.equal(sent.bodySize, ruled.listSent.length);
    assert.equal(list.response._original, undefined, 'no rule changed its response');

    assert.deepEqual(login._ca2.rules, ['login fails']);
    assert.deepEqual(login._ca2.errors, ['SE_RATE_LIMIT_EXCEEDED_ERROR'], 'the summary is of what the client got');
    assert.equal(login.request._original, undefined);
    const answered = login.response._original;
    assert.equal(answered.status, 200);
    assert.equal(answered.content.encoding, 'base64');
    assert.match(decodeRaw(Buffer.from(answered.content.text, 'base64')), new RegExp(ruledTokens.upstreamJwt.replaceAll('.', '\\.')));
    assert.equal(answered.content._decoded.auth.login.token, ruledTokens.upstreamJwt);
    assert.ok(answered.headers.some((h: any) => h.name === 'Set-Cookie' && h.value.includes(ruledTokens.cookie)));

    assert.deepEqual(ws._ca2.rules, ['swap ws token', 'rename', 'drop billing', 'inject error', 'mute client', 'inject client']);
    const messages = ws._webSocketMessages.map((m: any) => [m.type, m._rule ?? null, m._mark ?? null, m._original === undefined ? null : Buffer.from(m._original, 'base64')]);
    assert.deepEqual(messages, [
      ['send', 'swap ws token', null, ruled.authSent],
      ['receive', null, null, null],
      ['receive', 'rename', 'breakpoint', ruled.eventUpstream],
      ['receive', 'drop billing', 'dropped', null],
      ['receive', 'inject error', 'injected', null],
      ['send', 'mute client', 'dropped', null],
      ['send', 'inject client', 'injected', null],
    ]);
    assert.equal(ws._webSocketMessages[0]._originalDecoded.token, ruledTokens.wsJwt);
    assert.match(decodeRaw(Buffer.from(ws._webSocketMessages[2]._original, 'base64')), /2: "upstream-name"/);
  });

  for (const name of ['trip.har', 'trip.sqlite']) {
    test(`round trips through ${name.endsWith('.har') ? 'HAR' : 'a capture'}: the same flows, rules, originals and marks in an empty file`, async () => {
      const db = join(dir, `imported-${name}.sqlite`);
      assert.equal(importInto(db, await exportTo(name, false)).length, 3);
      const imported = flowsOf(db);
      assert.deepEqual(imported, flowsOf(recording));
      // Not vacuous: the fixture's versions are there.
      const [list, login, ws] = imported as Flow[];
      assert.deepEqual([list.rules, login.rules], [['eu only'], ['login fails']]);
      assert.equal(list.original!.request!.body, ruled.listSent.toString('base64'));
      assert.equal(login.original!.response!.body, ruled.loginUpstream.toString('base64'));
      assert.deepEqual(ws.frames.map((f) => f.mark ?? null), [null, null, 'breakpoint', 'dropped', 'injected', 'dropped', 'injected']);
      assert.deepEqual([list.editedAtBreakpoint, login.editedAtBreakpoint], [['request'], undefined]);
    });
  }

  test('a rule name that is not a string, a mark that is neither dropped nor injected, or an _original that is not base64 is refused by name', async () => {
    const good = har(await exportTo('malformed-source.har', false));
    const cases: [(h: any) => void, string][] = [
      [(h) => (h.log.entries[0]._ca2.rules = ['eu only', 7]), 'entries[0]._ca2.rules[1] is not a string'],
      [(h) => (h.log.entries[2]._webSocketMessages[3]._mark = 'lost'), 'entries[2]._webSocketMessages[3]._mark is "lost"; expected "dropped", "injected" or "breakpoint"'],
      [(h) => (h.log.entries[0]._ca2.editedAtBreakpoint = ['headers']), 'entries[0]._ca2.editedAtBreakpoint[0] is "headers"; expected "request" or "response"'],
      [(h) => (h.log.entries[2]._webSocketMessages[2]._original = '%%%'), 'entries[2]._webSocketMessages[2]._original is not base64'],
      [(h) => (h.log.entries[1].response._original.status = 42), 'entries[1].response._original.status is 42, not an HTTP status'],
      [(h) => (h.log.entries[0].request._original.postData.text = 5), 'entries[0].request._original.postData.text is not a string'],
    ];
    for (const [breakIt, message] of cases) {
      const broken = structuredClone(good);
      breakIt(broken);
      const file = join(dir, 'malformed.har');
      writeFileSync(file, JSON.stringify(broken));
      const db = join(dir, 'malformed.sqlite');
      assert.throws(() => importInto(db, file), (err: Error) => err instanceof SourceError && err.message.startsWith(`${file}: ${message}`), message);
      assert.equal(flowsOf(db).length, 0);
    }
  });

  test('HARs from other tools, which have none of these fields, import with no rules, originals or marks', () => {
    for (const name of ['mitmproxy.har', 'httptoolkit.har']) {
      const flows = flowsIn(join(projectRoot, 'test/fixtures/capture', name));
      assert.ok(flows.length > 0);
      for (const flow of flows) {
        assert.deepEqual([flow.rules, flow.original], [undefined, undefined], name);
        for (const frame of flow.frames) assert.deepEqual([frame.rule, frame.mark, frame.original], [undefined, undefined, undefined], name);
      }
    }
  });
});

describe('redacting traffic rules changed', () => {
  for (const name of ['redacted.har', 'redacted.sqlite']) {
    test(`leaves no token of what the client sent or the upstream answered in ${name.endsWith('.har') ? 'a HAR' : 'a capture'}`, async () => {
      assert.deepEqual(tokensIn(recording).sort(), Object.keys(ruledTokens).sort(), 'the recording holds every token');
      const file = await exportTo(name, true);
      assert.deepEqual(tokensIn(file), []);
      const db = join(dir, `imported-${name}.sqlite`);
      importInto(db, file);
      const [list, login, ws] = flowsOf(db) as Flow[];
      // The same placeholder stands for the same token in both versions, and the bytes still decode.
      const sent = codec.decode('ClientRequest', Buffer.from(list.original!.request!.body as unknown as string, 'base64'));
      assert.deepEqual(sent.problems, []);
      assert.match(String(sent.json.token), /^redacted-[0-9a-f]{16}$/);
      assert.match(list.original!.request!.headers.find(([n]) => n === 'Authorization')![1], /^Bearer redacted-[0-9a-f]{16}$/);
      const answered = codec.decode('ServerResponse', Buffer.from(login.original!.response!.body as unknown as string, 'base64'));
      assert.deepEqual(answered.problems, []);
      assert.match(String((answered.json as any).auth.login.token), /\.redacted/);
      assert.match(login.original!.response!.headers.find(([n]) => n === 'Set-Cookie')![1], /^sid=redacted-[0-9a-f]{16}; Path=\/$/);
      const auth = codec.decode('WsAuth', Buffer.from(ws.frames[0].original as unknown as string, 'base64'));
      assert.match(String(auth.json.token), /\.redacted/);
    });
  }

  test('stops, writing nothing, when a token in an original is where redaction cannot reach', async () => {
    // A protobuf group is not length-delimited, so the rewrite passes over it: the check must catch it in the original.
    const token = ruledTokens.client;
    const group = Buffer.concat([Buffer.from([0x93, 0x03, 0x0a, token.length]), Buffer.from(token), Buffer.from([0x94, 0x03])]);
    const sent = Buffer.concat([protocEncode('ca2.ClientRequest', `trx: "trx-group" token: "${token}"`), group]);
    const relayed = protocEncode('ca2.ClientRequest', 'trx: "trx-group"');
    const db = join(dir, 'group.sqlite');
    const store = openForImport(db, codec);
    const message = (body: Buffer) => ({ method: 'POST', path: '/exec', httpVersion: '1.1', headers: [], body, size: body.length, truncated: false });
    recordAll(store, codec, [wireFlow({
      kind: 'exec', startedAt: 1_800_000_000_000, endedAt: 1_800_000_000_001,
      request: message(relayed), rules: ['strip token'], original: { request: message(sent), response: null },
    })], { dedupe: false });
    store.close();
    const leaky = Store.open(db, { codec });
    try {
      for (const name of ['leak.har', 'leak.sqlite']) {
        await assert.rejects(
          exportTo(name, true, leaky),
          (err: Error) => err instanceof ExportError && /the exchange POST \/exec of 2027-01-15T08:00:00\.000Z still holds a token/.test(err.message),
        );
        assert.ok(!existsSync(join(dir, name)));
      }
    } finally {
      leaky.close();
    }
  });
});
