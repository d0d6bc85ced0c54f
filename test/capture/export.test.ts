// Exports of a real recording: HAR and capture, redacted and not, read back by import.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRecording, ExportError } from '../../capture/export.ts';
import { openForImport, recordAll } from '../../capture/record.ts';
import { SourceError } from '../../capture/source-error.ts';
import { importInto as importFile } from './import-file.ts';
import type { ExchangeDetail } from '../../model/types.ts';
import { createCodec } from '../../proto/codec.ts';
import { readCaptureMeta } from '../../storage/capture-meta.ts';
import { Store } from '../../storage/store.ts';
import { harViolations } from './har-schema.ts';
import { demoProtos, protocEncode, tokens, writeSampleRecording } from './sample-recording.ts';
import { wireFlow } from '../../support/flow-head.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-export-test-'));
const recording = join(dir, 'rec.sqlite');
const codec = createCodec({ protoPaths: [demoProtos] });
let source: Store;

before(() => {
  writeSampleRecording(recording);
  source = Store.open(recording, { codec });
});
after(() => {
  source.close();
  rmSync(dir, { recursive: true, force: true });
});

async function exportTo(name: string, options: { redact?: boolean; filter?: string; stripClaims?: boolean } = {}) {
  const output = join(dir, name);
  const result = await exportRecording(source, {
    format: name.endsWith('.har') ? 'har' : 'capture', output, redact: options.redact ?? true, filter: options.filter,
    stripClaims: options.stripClaims, codec, toolVersion: '0.1.0-test',
  });
  return { output, result };
}

/** Every stored exchange, oldest first, without the id (which differs between files). */
function details(file: string): Omit<ExchangeDetail, 'id'>[] {
  const store = Store.open(file, { codec });
  try {
    const items = store.listExchanges({ limit: 1000 }).items.reverse();
    return items.map((item) => {
      const { id: _id, ...rest } = store.getExchange(item.id)!;
      return rest;
    });
  } finally {
    store.close();
  }
}

function importInto(db: string, file: string) {
  return importFile(db, file, codec);
}

/** Every place a token could hide in a file: its bytes, and the bytes of every base64 string in it. */
function tokensIn(file: string): string[] {
  const bytes = readFileSync(file);
  const texts = [bytes.toString('latin1')];
  for (const match of bytes.toString('latin1').matchAll(/[A-Za-z0-9+/_-]{8,}={0,2}/g)) {
    texts.push(Buffer.from(match[0], 'base64').toString('latin1'), Buffer.from(match[0], 'base64url').toString('latin1'));
  }
  return Object.values(tokens).filter((token) => texts.some((text) => text.includes(token)));
}

describe('export', () => {
  test('writes a HAR 1.2 file with every required field, and no original token anywhere in its bytes', async () => {
    const { output, result } = await exportTo('redacted.har');
    assert.equal(result.exchanges, 5);
    const har = JSON.parse(readFileSync(output, 'utf8'));
    assert.deepEqual(harViolations(har), []);
    assert.deepEqual(tokensIn(output), []);
    assert.ok(result.redaction!.fields['ClientRequest.token'] >= 2, JSON.stringify(result.redaction));
  });

  test('the HAR 1.2 schema check refuses what breaks it, so a pass means something', async () => {
    const har = JSON.parse(readFileSync((await exportTo('broken.har', { redact: false })).output, 'utf8'));
    delete har.log.entries[0].request.postData.mimeType;
    har.log.entries[1].startedDateTime = 'yesterday';
    const found = harViolations(har);
    assert.ok(found.some((v) => /entries\/0\/request\/postData: must have required property 'mimeType'/.test(v)), found.join('\n'));
    assert.ok(found.some((v) => /entries\/1\/startedDateTime/.test(v)), found.join('\n'));
  });

  test('writes /exec bodies in base64 beside their decoded JSON, and WebSockets as Chrome does', async () => {
    const har = JSON.parse(readFileSync((await exportTo('shape.har', { redact: false })).output, 'utf8'));
    const me = har.log.entries.find((e: any) => e._ca2.trx === 'trx-me');
    assert.equal(me.request.postData._encoding, 'base64');
    assert.equal(me.request.postData._decoded.token, tokens.jwt);
    assert.equal(me.response.content.encoding, 'base64');
    assert.deepEqual(me._ca2.service, 'users');
    const ws = har.log.entries.find((e: any) => e._resourceType === 'websocket');
    assert.equal(ws.request.url, `ws://127.0.0.1:8080/ws?token=${tokens.query}`);
    assert.deepEqual(ws._webSocketMessages.map((m: any) => [m.type, m.opcode]), [['send', 2], ['receive', 2], ['receive', 2], ['receive', 1]]);
    assert.equal(ws._webSocketMessages[3].data, `hello ${tokens.opaque}`);
    assert.equal(ws._webSocketMessages[0].time, (1_800_000_100_000 + 4010) / 1000);
    assert.deepEqual({ code: ws._webSocketClose.code, reason: ws._webSocketClose.reason }, { code: 1000, reason: 'bye' });
  });

  test('replaces a JWT with one that keeps its header and claims, the same placeholder everywhere', async () => {
    const har = JSON.parse(readFileSync((await exportTo('placeholders.har')).output, 'utf8'));
    const me = har.log.entries.find((e: any) => e._ca2.trx === 'trx-me');
    const placeholder: string = me.request.postData._decoded.token;
    const [header, claims, signature] = tokens.jwt.split('.');
    assert.ok(placeholder.startsWith(`${header}.${claims}.`) && !placeholder.endsWith(signature), placeholder);
    const ws = har.log.entries.find((e: any) => e._resourceType === 'websocket');
    assert.equal(ws._webSocketMessages[0]._decoded.token, placeholder, 'WsAuth.token has the same placeholder');
    const login = har.log.entries.find((e: any) => e._ca2.trx === 'trx-login');
    assert.equal(login.response.content._decoded.auth.login.token, placeholder, 'found inside a response field with no schema help needed');
    assert.match(me.request.headers.find((h: any) => h.name === 'Authorization').value, /^Bearer redacted-[0-9a-f]{16}$/);
    assert.match(me.request.headers.find((h: any) => h.name === 'Cookie').value, /^session=redacted-[0-9a-f]{16}; theme=redacted-/);
    assert.match(ws.request.url, /\?token=redacted-[0-9a-f]{16}$/);
  });

  test('with --strip-claims keeps only a pseudonymous sub', async () => {
    const har = JSON.parse(readFileSync((await exportTo('stripped.har', { stripClaims: true })).output, 'utf8'));
    const me = har.log.entries.find((e: any) => e._ca2.trx === 'trx-me');
    const claims = JSON.parse(Buffer.from(me.request.postData._decoded.token.split('.')[1], 'base64url').toString());
    assert.deepEqual(Object.keys(claims), ['sub']);
    assert.match(claims.sub, /^redacted-/);
  });

  test('writes a capture that holds no original token, its schema and meta, and still decodes with token:<sub>', async () => {
    const { output } = await exportTo('redacted.sqlite', { filter: `kind:exec or kind:ws` });
    assert.deepEqual(tokensIn(output), []);
    const capture = readCaptureMeta(output)!;
    assert.equal(capture.meta.redacted, true);
    assert.equal(capture.meta.toolVersion, '0.1.0-test');
    assert.equal(capture.meta.filter, 'kind:exec or kind:ws');
    const store = Store.open(output, { codec });
    try {
      const rows = store.listExchanges({ filter: 'token:usr_alice' }).items;
      assert.deepEqual(rows.map((r) => r.kind).sort(), ['exec', 'ws']);
      const me = store.getExchange(rows.find((r) => r.kind === 'exec')!.id)!;
      assert.deepEqual(me.request.decoded!.problems, []);
      assert.equal(me.request.decoded!.summary.token!.jwt!.sub, 'usr_alice');
    } finally {
      store.close();
    }
    assert.ok(!existsSync(output + '-wal'), 'one file, no WAL beside it');
  });

  test('round trips through HAR and through a capture: the same exchanges and bytes', async () => {
    const original = details(recording);
    for (const name of ['trip.har', 'trip.sqlite']) {
      const { output } = await exportTo(name, { redact: false });
      const db = join(dir, `imported-${name}.sqlite`);
      assert.equal(importInto(db, output).ids.length, 5);
      assert.deepEqual(details(db), original, name);
    }
  });

  test('a redacted capture imported again decodes the same as it was exported', async () => {
    const { output } = await exportTo('again.sqlite');
    const db = join(dir, 'again-imported.sqlite');
    importInto(db, output);
    assert.deepEqual(details(db), details(output));
  });

  test('stops, naming the exchange and writing nothing, when a token is left where redaction cannot reach', async () => {
    // A protobuf group is not length-delimited, so the rewrite passes over it: the check must catch it.
    const length = tokens.jwt.length;
    assert.ok(length >= 128 && length < 16384);
    const group = Buffer.concat([Buffer.from([0x93, 0x03, 0x0a, (length & 0x7f) | 0x80, length >> 7]), Buffer.from(tokens.jwt), Buffer.from([0x94, 0x03])]);
    const request = Buffer.concat([protocEncode('ca2.ClientRequest', `trx: "trx-group" token: "${tokens.jwt}"`), group]);
    const db = join(dir, 'group.sqlite');
    const store = openForImport(db, codec);
    recordAll(store, codec, [wireFlow({
      kind: 'exec', startedAt: 1_800_000_000_000, endedAt: 1_800_000_000_001,
      request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers: [], body: request, size: request.length, truncated: false },
    })], { dedupe: false });
    store.close();
    const leaky = Store.open(db, { codec });
    try {
      for (const format of ['har', 'capture'] as const) {
        const output = join(dir, `leak.${format}`);
        await assert.rejects(
          exportRecording(leaky, { format, output, redact: true, codec, toolVersion: 't' }),
          (err: Error) => err instanceof ExportError && /the exchange POST \/exec of 2027-01-15T08:00:00\.000Z still holds a token/.test(err.message),
          format,
        );
        assert.ok(!existsSync(output), format);
      }
    } finally {
      leaky.close();
    }
  });

  test('a HAR export writes no working recording beside the output, and the working recording of a capture keeps no journal', async () => {
    const working = async (format: 'har' | 'capture') => {
      const seen = new Set<string>();
      const look = () => {
        for (const work of readdirSync(dir).filter((name) => name.startsWith('.ca2-export-'))) for (const name of readdirSync(join(dir, work))) seen.add(name);
      };
      await exportRecording(source, { format, output: join(dir, `working.${format}`), redact: true, codec, toolVersion: 't', progress: look });
      return [...seen];
    };
    assert.deepEqual(await working('har'), ['out.har']);
    assert.deepEqual(await working('capture'), ['out']);
  });
});

describe('import', () => {
  test('stores an exchange imported twice once', async () => {
    const { output } = await exportTo('twice.har');
    const db = join(dir, 'twice.sqlite');
    assert.deepEqual([importInto(db, output).ids.length, importInto(db, output).duplicates], [5, 5]);
    assert.equal(details(db).length, 5);
  });

  test('refuses a malformed HAR naming the entry and field, and stores nothing of it', async () => {
    const har = JSON.parse(readFileSync((await exportTo('malformed-source.har')).output, 'utf8'));
    har.log.entries[3].request.postData = { mimeType: 'text/plain', text: 5 };
    const file = join(dir, 'malformed.har');
    writeFileSync(file, JSON.stringify(har));
    const db = join(dir, 'malformed.sqlite');
    assert.throws(() => importInto(db, file), (err: Error) => err instanceof SourceError && err.message.startsWith(`${file}: entries[3].request.postData.text is not a string`));
    assert.equal(details(db).length, 0);
    writeFileSync(file, '{"log": {}}');
    assert.throws(() => importInto(db, file), /log\.entries is missing, so this is not a HAR file/);
    writeFileSync(file, '<html>');
    assert.throws(() => importInto(db, file), /not JSON/);
  });
});
