// A corpus of planted tokens. Each token sits in one place it is learned from (the envelope's
// token, WsAuth, Authorization with two spaces, Proxy-Authorization, Cookie, Set-Cookie,
// X-Api-Key, ?access_token=, the auth.login and auth.refresh responses, a token a WsEvent
// pushes, a JSON body's refresh_token, a form's client_secret, a text frame's JSON, a
// ClientRequest that breaks off after its token, a schema-named request field, and a JWT in
// a text body), and is then planted again in every form: as written, percent-encoded, hex,
// HEX, base64 and base64url (at every alignment), each in one of eight other places: a
// text body, an unknown protobuf field, a header, the path, a text frame, a binary frame,
// an error sentence and a close reason. That is 17 places × 6 forms (less the percent forms
// equal to the token) × 8 carriers round-robin, through a real recording exported as HAR and
// as a capture. The oracle is this file's own search of the output, decoding every base64
// and hex run at every offset, and the sqlite3 CLI's dump for captures. Every planted form
// is gone after redaction, the fail-closed check finds every one of them in the unredacted
// export, and what the README names as not covered is what is left.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { exportRecording } from '../../capture/export.ts';
import { LeakCheck } from '../../capture/leak-check.ts';
import { createCodec, type Codec } from '../../proto/codec.ts';
import type { TappedFlow, TappedFrame } from '../../proxy/tap.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Store } from '../../storage/store.ts';
import { projectRoot } from '../../support/proxy-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-corpus-'));
const protos = join(dir, 'protos');
const recording = join(dir, 'corpus.sqlite');
let codec: Codec;
after(() => rmSync(dir, { recursive: true, force: true }));

function jwt(claims: object, signature: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.${signature}`;
}

/** One token per place it is learned from. */
const tokens = {
  envelope: 'env+Tok/en-5f1e2d3c4b==',
  wsAuth: 'wsauth-token-8c7b6a5d4e3f',
  bearer: 'bearer-two-spaces-1a2b3c4d5e',
  basic: Buffer.from('alice:proxy-secret-99!').toString('base64'),
  cookie: 'cookie-sid-6f5e4d3c2b1a',
  setCookie: 'set-cookie-sid-0a9b8c7d6e',
  apiKey: 'x-api-key-value-31415926',
  query: 'access-token-query-27182818',
  login: 'opaqueLoginSession4242aa',
  refresh: 'refreshTokenValue5757bb',
  pushed: 'pushed-by-wsevent-6868cc',
  jsonBody: 'json-refresh-token-7979dd',
  form: 'form-client-secret-8080ee',
  textFrame: 'text-frame-token-9191ff',
  malformed: 'malformed-request-token-1212ab',
  cardToken: 'card-token-in-request-3434cd',
  jwt: jwt({ sub: 'usr_corpus', exp: 1_900_000_000 }, 'c2lnbmF0dXJlLWNvcnB1cy1kby1ub3QtbGVhaw'),
};
type Place = keyof typeof tokens;

const forms = ['plain', 'percent', 'hex', 'HEX', 'base64', 'base64url'] as const;
const carriers = ['text body', 'protobuf field', 'header', 'path', 'text frame', 'binary frame', 'error', 'close reason'] as const;

interface Planted {
  id: string;
  place: Place;
  token: string;
  form: (typeof forms)[number];
  carrier: (typeof carriers)[number];
  /** The text planted: the form, inside base64 for the base64 forms. */
  text: string;
}

/** The corpus: every place × every form that differs from the token as written, each in the next carrier. */
const corpus: Planted[] = [];
{
  let n = 0;
  Object.entries(tokens).forEach(([place, token], i) => {
    forms.forEach((form, j) => {
      const shifted = Buffer.concat([Buffer.from('xyz'.slice(0, (i + j) % 3)), Buffer.from(token), Buffer.from('!')]);
      const text = {
        plain: token,
        percent: encodeURIComponent(token),
        hex: Buffer.from(token).toString('hex'),
        HEX: Buffer.from(token).toString('hex').toUpperCase(),
        base64: shifted.toString('base64'),
        base64url: shifted.toString('base64url'),
      }[form];
      if (form === 'percent' && text === token) return;
      corpus.push({ id: `c${n}`, place: place as Place, token, form, carrier: carriers[n % carriers.length], text });
      n++;
    });
  });
}

/** What the README says is not covered, planted to show it is so. */
const unlearned = 'reset-link-token-unlearned-5150';
const notCovered = {
  pathOnly: { why: /a token that nothing names, such as one only in a path,/ },
  gzip: { why: /inside compressed \(`Content-Encoding: gzip`\)/ },
  brokenBase64: { why: /base64 broken across lines/ },
};

function protoc(type: string, text: string): Buffer {
  const out = spawnSync('protoc', [`--encode=${type}`, '-I', protos, join(protos, 'ca2.proto')], { input: text });
  assert.equal(out.status, 0, String(out.stderr));
  return out.stdout;
}

/** A length-delimited field, written by hand: the carriers are many, and protoc is slow to start. */
function field(number: number, text: string): Buffer {
  const value = Buffer.from(text);
  assert.ok(value.length < 16384);
  const length = value.length < 128 ? [value.length] : [(value.length & 0x7f) | 0x80, value.length >> 7];
  const tag = number < 16 ? [(number << 3) | 2] : [((number << 3) | 2) & 0x7f | 0x80, number >> 4];
  return Buffer.from([...tag, ...length, ...value]);
}

/** Field 99, which no schema names, holding `text`. */
const unknownField = (text: string) => field(99, text);

let nextId = 1;
const t0 = 1_900_000_000_000;

function flow(kind: TappedFlow['kind'], method: string, path: string, headers: [string, string][], body: Uint8Array, response: { status: number; headers: [string, string][]; body: Uint8Array } | null, error: string | null = null): TappedFlow {
  const id = nextId++;
  return {
    id, source: 'live', kind, startedAt: t0 + id * 10, endedAt: kind === 'ws' ? null : t0 + id * 10 + 2, clientAddress: '127.0.0.1',
    request: { method, path, httpVersion: '1.1', headers: [['Host', 'api.example.test'], ...headers], body, size: body.length, truncated: false },
    response: response && { status: response.status, statusMessage: '', headers: response.headers, body: response.body, size: response.body.length, truncated: false },
    error: error === null ? null : { kind: 'proxy-error', message: error },
  };
}

function record(store: Store): void {
  const recorder = new Recorder(codec, store);
  const pb: [string, string] = ['Content-Type', 'application/x-protobuf'];
  const plain = (f: TappedFlow) => (recorder.requestStarted(f), recorder.exchangeEnded(f));
  const ws = (f: TappedFlow, frames: [TappedFrame['direction'], number, Uint8Array][], reason: string) => {
    plain(f);
    frames.forEach(([direction, opcode, body], seq) => recorder.wsFrame({ flowId: f.id, seq, direction, at: f.startedAt + seq + 1, opcode, body, size: body.length, truncated: false }));
    const at = f.startedAt + 9;
    recorder.wsClosed({ ...f, endedAt: at }, { flowId: f.id, code: 1000, reason, by: 'client', at });
  };
  const upgrade = { status: 101, headers: [['Upgrade', 'websocket']] as [string, string][], body: new Uint8Array(0) };

  // The places tokens are learned from.
  plain(flow('exec', 'POST', '/exec', [pb, ['Authorization', `Bearer  ${tokens.bearer}`], ['Proxy-Authorization', `Basic ${tokens.basic}`], ['Cookie', `sid=${tokens.cookie}; theme=dark`], ['X-Api-Key', tokens.apiKey]],
    protoc('ca2.ClientRequest', `trx: "t-card" token: "${tokens.envelope}" billing { top_up { amount: 5 card_token: "${tokens.cardToken}" } }`),
    { status: 200, headers: [pb, ['Set-Cookie', `sid=${tokens.setCookie}; Path=/; HttpOnly`]], body: protoc('ca2.ServerResponse', 'trx: "t-card"') }));
  plain(flow('exec', 'POST', '/exec', [pb], protoc('ca2.ClientRequest', 'trx: "t-login" auth { login { email: "a@example.test" password: "demo" } }'),
    { status: 200, headers: [pb], body: protoc('ca2.ServerResponse', `trx: "t-login" auth { login { token: "${tokens.login}" expires_at_ms: 1900003600000 } }`) }));
  plain(flow('exec', 'POST', '/exec', [pb], protoc('ca2.ClientRequest', `trx: "t-refresh" token: "${tokens.envelope}" auth { refresh { } }`),
    { status: 200, headers: [pb], body: protoc('ca2.ServerResponse', `trx: "t-refresh" auth { refresh { token: "${tokens.refresh}" } }`) }));
  plain(flow('exec', 'POST', '/exec', [pb], Buffer.concat([protoc('ca2.ClientRequest', `trx: "t-broken" token: "${tokens.malformed}"`), Buffer.from([0xff])]),
    { status: 200, headers: [pb], body: protoc('ca2.ServerResponse', 'trx: "t-broken" errors: SE_UNKNOWN_ERROR') }));
  plain(flow('http', 'GET', `/oauth?access_token=${tokens.query}&x=1`, [], new Uint8Array(0),
    { status: 200, headers: [['Content-Type', 'application/json']], body: Buffer.from(JSON.stringify({ refresh_token: tokens.jsonBody, token_type: 'bearer' })) }));
  plain(flow('http', 'POST', '/oauth/token', [['Content-Type', 'application/x-www-form-urlencoded']], Buffer.from(`grant_type=client_credentials&client_secret=${tokens.form}`),
    { status: 200, headers: [], body: new Uint8Array(0) }));
  plain(flow('http', 'GET', '/profile', [], new Uint8Array(0), { status: 200, headers: [['Content-Type', 'text/plain']], body: Buffer.from(`welcome back, ${tokens.jwt}`) }));
  ws(flow('ws', 'GET', '/ws', [], new Uint8Array(0), upgrade), [
    ['client', 2, protoc('ca2.WsAuth', `token: "${tokens.wsAuth}"`)],
    ['server', 2, new Uint8Array(0)],
    ['server', 2, protoc('ca2.WsEvent', `session { access_token: "${tokens.pushed}" }`)],
    ['server', 1, Buffer.from(JSON.stringify({ token: tokens.textFrame }))],
  ], 'bye');

  // Every planted form, in its carrier; X-Corpus names it.
  for (const p of corpus) {
    const tag: [string, string] = ['X-Corpus', p.id];
    const said = `look: ${p.text} .`;
    switch (p.carrier) {
      case 'text body':
        plain(flow('http', 'GET', `/echo?n=${p.id}`, [tag], new Uint8Array(0), { status: 200, headers: [['Content-Type', 'text/plain']], body: Buffer.from(said) }));
        break;
      case 'protobuf field':
        plain(flow('exec', 'POST', '/exec', [pb, tag], field(1, p.id), { status: 200, headers: [pb], body: Buffer.concat([field(1, p.id), unknownField(said)]) }));
        break;
      case 'header':
        plain(flow('http', 'GET', '/echo', [tag, ['X-Echo', said]], new Uint8Array(0), { status: 204, headers: [], body: new Uint8Array(0) }));
        break;
      case 'path':
        plain(flow('http', 'GET', `/echo/${p.text}/x`, [tag], new Uint8Array(0), { status: 404, headers: [], body: new Uint8Array(0) }));
        break;
      case 'text frame':
        ws(flow('ws', 'GET', '/ws', [tag], new Uint8Array(0), upgrade), [['server', 1, Buffer.from(said)]], 'bye');
        break;
      case 'binary frame':
        ws(flow('ws', 'GET', '/ws', [tag], new Uint8Array(0), upgrade), [['server', 2, unknownField(said)]], 'bye');
        break;
      case 'error':
        plain(flow('http', 'GET', '/echo', [tag], new Uint8Array(0), null, `upstream said ${p.text}`));
        break;
      case 'close reason':
        ws(flow('ws', 'GET', '/ws', [tag], new Uint8Array(0), upgrade), [], `bye ${p.text}`);
        break;
    }
  }

  // Not covered, as the README says.
  plain(flow('http', 'GET', `/reset/${unlearned}`, [['X-Corpus', 'pathOnly']], new Uint8Array(0), { status: 200, headers: [], body: new Uint8Array(0) }));
  plain(flow('http', 'GET', '/zipped', [['X-Corpus', 'gzip']], new Uint8Array(0),
    { status: 200, headers: [['Content-Encoding', 'gzip']], body: gzipSync(`the session is ${tokens.login}`) }));
  const broken = Buffer.from(`session=${tokens.login}`).toString('base64');
  plain(flow('http', 'GET', '/mime', [['X-Corpus', 'brokenBase64']], new Uint8Array(0),
    { status: 200, headers: [['Content-Type', 'text/plain']], body: Buffer.from(`${broken.slice(0, 20)}\r\n${broken.slice(20)}`) }));
  recorder.stop();
}

/**
 * Whether `token` is anywhere in `bytes`: as written, percent-decoded, or inside any run of
 * hex or base64 decoded at every offset, to three levels.
 */
function holds(bytes: Buffer, token: string, depth = 0): boolean {
  const text = bytes.toString('latin1');
  if (text.includes(Buffer.from(token).toString('latin1'))) return true;
  for (const [run] of text.matchAll(/[A-Za-z0-9%._~+/=-]*%[0-9A-Fa-f]{2}[A-Za-z0-9%._~+/=-]*/g)) {
    try {
      if (decodeURIComponent(run).includes(token)) return true;
    } catch {
      // Not percent-encoded text after all.
    }
  }
  if (depth === 3) return false;
  for (const [run] of text.matchAll(/[0-9a-fA-F]{16,}/g)) {
    for (const offset of [0, 1]) if (holds(Buffer.from(run.slice(offset), 'hex'), token, depth + 1)) return true;
  }
  for (const [run] of text.matchAll(/[A-Za-z0-9+/_-]{11,}/g)) {
    for (const offset of [0, 1, 2, 3]) if (holds(Buffer.from(run.slice(offset), 'base64'), token, depth + 1)) return true;
  }
  return false;
}

async function exportTo(name: string, options: { redact?: boolean; filter?: string; codec?: Codec } = {}): Promise<string> {
  const output = join(dir, name);
  const store = Store.open(recording, { codec: options.codec ?? codec });
  try {
    await exportRecording(store, {
      format: name.endsWith('.har') ? 'har' : 'capture', output, redact: options.redact ?? true, filter: options.filter,
      codec: options.codec ?? codec, toolVersion: 't',
    });
  } finally {
    store.close();
  }
  return output;
}

/** HAR entries by their X-Corpus header. */
function harEntries(file: string): Map<string, unknown> {
  const entries = JSON.parse(readFileSync(file, 'utf8')).log.entries as { request: { headers: { name: string; value: string }[] } }[];
  return new Map(entries.flatMap((e) => e.request.headers.filter((h) => h.name === 'X-Corpus').map((h) => [h.value, e] as [string, unknown])));
}

/** The capture's exchanges, as the store details them, by their X-Corpus header. */
function captureEntries(file: string): Map<string, unknown> {
  const store = Store.open(file, { codec });
  try {
    const ids = store.listExchanges({ limit: 1000 }).items.map((item) => item.id);
    return new Map(ids.flatMap((id) => {
      const detail = store.getExchange(id)!;
      return detail.request.headers.filter(([name]) => name === 'X-Corpus').map(([, value]) => [value, detail] as [string, unknown]);
    }));
  } finally {
    store.close();
  }
}

function sqliteDump(file: string): Buffer {
  const out = spawnSync('sqlite3', [file, '.dump'], { maxBuffer: 256 * 1024 * 1024 });
  assert.equal(out.status, 0, String(out.stderr));
  return out.stdout;
}

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');

before(() => {
  cpSync(join(projectRoot, 'demo/protos'), protos, { recursive: true });
  const envelope = join(protos, 'ca2.proto');
  writeFileSync(envelope, readFileSync(envelope, 'utf8').replace('ca2domains.DomainEvent domains = 5;', 'ca2domains.DomainEvent domains = 5;\n  ca2auth.SessionEvent session = 6;'));
  const auth = join(protos, 'ca2auth.proto');
  writeFileSync(auth, `${readFileSync(auth, 'utf8')}\nmessage SessionEvent {\n  string access_token = 1;\n}\n`);
  codec = createCodec({ protoPaths: [protos] });
  const store = Store.open(recording);
  record(store);
  store.close();
});

describe('a corpus of planted token forms', () => {
  test(`has ${corpus.length} planted forms, every one in the unredacted export and found there by the fail-closed check`, async () => {
    assert.equal(corpus.length, 87);
    const check = new LeakCheck(Object.values(tokens));
    for (const [name, entries] of [['HAR', harEntries(await exportTo('open.har', { redact: false }))], ['capture', captureEntries(await exportTo('open.sqlite', { redact: false }))]] as const) {
      for (const p of corpus) {
        const entry = entries.get(p.id);
        assert.ok(entry, `${name}: ${p.id} exported`);
        assert.ok(holds(Buffer.from(JSON.stringify(entry)), p.token), `${name}: ${p.place} as ${p.form} in the ${p.carrier} is in the unredacted export`);
        assert.equal(check.find(entry), p.token, `${name}: the check finds ${p.place} as ${p.form} in the ${p.carrier}`);
      }
    }
  });

  for (const name of ['redacted.har', 'redacted.sqlite']) {
    test(`leaves no planted form, and no token from any place, in ${name}`, async () => {
      const output = await exportTo(name);
      const entries = name.endsWith('.har') ? harEntries(output) : captureEntries(output);
      const left = corpus.filter((p) => holds(Buffer.from(JSON.stringify(entries.get(p.id))), p.token));
      assert.deepEqual(left.map((p) => `${p.place} as ${p.form} in the ${p.carrier}`), []);
      const file = name.endsWith('.har') ? readFileSync(output) : Buffer.concat([readFileSync(output), sqliteDump(output)]);
      const anywhere = Object.entries(tokens).filter(([, token]) => holds(file, token));
      assert.deepEqual(anywhere.map(([place]) => place), []);
    });
  }

  test('leaves what the README names as not covered, and the README names it', async () => {
    for (const { why } of Object.values(notCovered)) assert.ok(why.test(readme), `the README says ${why}`);
    const entries = harEntries(await exportTo('uncovered.har'));
    const body = (id: string) => Buffer.from((entries.get(id) as any).response.content.text, (entries.get(id) as any).response.content.encoding === 'base64' ? 'base64' : 'utf8');
    assert.match((entries.get('pathOnly') as any).request.url, new RegExp(unlearned));
    assert.match(gunzipSync(body('gzip')).toString(), new RegExp(tokens.login));
    assert.match(Buffer.from(body('brokenBase64').toString().replace(/\s/g, ''), 'base64').toString(), new RegExp(tokens.login));
  });

  test('never lengthens a close reason', async () => {
    const entries = harEntries(await exportTo('closes.har'));
    for (const p of corpus.filter((c) => c.carrier === 'close reason')) {
      const original = Buffer.byteLength(`bye ${p.text}`);
      const reason: string = (entries.get(p.id) as any)._webSocketClose.reason;
      assert.ok(Buffer.byteLength(reason) <= original, `${p.id}: ${reason}`);
    }
  });

  test('export --filter service:auth redacts the session token the login answered with, with no schema to name it', async () => {
    const bare = createCodec();
    const output = await exportTo('auth-only.har', { filter: 'service:auth', codec: bare });
    assert.equal(JSON.parse(readFileSync(output, 'utf8')).log.entries.length, 2);
    assert.deepEqual([tokens.login, tokens.refresh].filter((token) => holds(readFileSync(output), token)), []);
  });
});
