import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { JsonValue } from '../../model/types.ts';
import { createCodec } from '../../proto/codec.ts';
import { concat, encode, tag, text, varint } from './encode.ts';
import { valueAt } from './json-path.ts';
import { CODEC_MESSAGES, CODEC_SCHEMA, codecFixtures } from './codec-fixtures.ts';

const SCHEMA = CODEC_SCHEMA;
const MESSAGES = CODEC_MESSAGES;
const fixtures = codecFixtures();

function readJson(file: string): JsonValue {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as JsonValue;
}

/** Every leaf of a JSON value by its path, so a mismatch names the field. */
function leaves(value: JsonValue, at = '$', out = new Map<string, JsonValue>()): Map<string, JsonValue> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) out.set(at, Array.isArray(value) ? [] : {});
    for (const [key, child] of entries) leaves(child, `${at}.${key}`, out);
  } else {
    out.set(at, value);
  }
  return out;
}

function assertSameFields(actual: JsonValue, expected: JsonValue, what: string): void {
  const got = leaves(actual);
  const want = leaves(expected);
  for (const [field, value] of want) assert.deepEqual(got.get(field), value, `${what}: field ${field}`);
  for (const field of got.keys()) assert.ok(want.has(field), `${what}: unexpected field ${field} = ${JSON.stringify(got.get(field))}`);
}

const NOW_BEFORE_EXPIRY = Date.UTC(2023, 10, 14, 22, 30); // exp is 1700003600 = 23:13:20Z
const NOW_AFTER_EXPIRY = Date.UTC(2023, 10, 15);

describe('codec on messages encoded by protoc', () => {
  const bundled = createCodec();
  const full = createCodec({ protoPaths: [SCHEMA] });

  test('the committed binaries are what protoc --encode makes of the committed text', () => {
    assert.ok(fixtures.length >= 6, 'fixtures are present');
    for (const fixture of fixtures) {
      const encoded = spawnSync('protoc', ['-I', SCHEMA, `--encode=ca2.${fixture.type}`, path.join(SCHEMA, 'ca2.proto')], { input: fixture.txtpb });
      assert.equal(encoded.error, undefined, `protoc runs (${encoded.error?.message})`);
      assert.equal(encoded.status, 0, `protoc encodes ${fixture.name}: ${encoded.stderr}`);
      assert.deepEqual(encoded.stdout, fixture.bytes, `${fixture.name}.bin is stale; re-encode it with protoc`);
    }
  });

  for (const fixture of fixtures) {
    test(`${fixture.name}: every field decodes by name with the full user schema`, () => {
      const result = full.decode(fixture.type, fixture.bytes);
      assert.deepEqual(result.problems, []);
      assertSameFields(result.json, readJson(path.join(MESSAGES, `${fixture.name}.json`)), fixture.name);
    });

    test(`${fixture.name}: the bundled schema names the envelope and keeps the rest under field numbers`, () => {
      const result = bundled.decode(fixture.type, fixture.bytes);
      assert.deepEqual(result.problems, []);
      assertSameFields(result.json, readJson(path.join(MESSAGES, `${fixture.name}.bundled.json`)), fixture.name);
    });
  }

  test('JSON follows MessageToDict: int64 as strings, bytes as base64, enums by name, maps as objects, defaults left out', () => {
    const json = full.decode('ServerResponse', fixtures.find((f) => f.name === 'instances-list-response')!.bytes).json as any;
    const [web, db] = json.instances.list.instances;
    assert.equal(web.memory_bytes, '9007199254740993');
    assert.equal(web.serial, '18446744073709551615');
    assert.equal(web.balance_delta, '-1234567890123');
    assert.equal(web.fingerprint, 'AAH+/w==');
    assert.deepEqual(web.features, ['IPV6', 'MONITORING', 7]);
    assert.deepEqual(web.legacy_features, ['BACKUPS', 'FEATURE_UNSPECIFIED']);
    assert.deepEqual(web.labels, { env: 'prod', team: 'core' });
    assert.deepEqual(web.extra_networks, { '-1': { ipv4: '10.0.0.2' }, '8': {} });
    assert.equal(web.cpu_load, 0.1);
    assert.equal(web.comment, '', 'an optional field set to its default is kept');
    assert.equal(web.created_at, '2023-11-14T22:13:20.120Z');
    assert.equal(db.created_at, '1970-01-01T00:00:00Z');
    assert.equal(db.vcpus, undefined);
    assert.equal(db.locked, undefined);
  });

  test('summaries give service, operation, trx, errors and token facts', () => {
    const byName = (name: string) => fixtures.find((f) => f.name === name)!;
    const login = full.decode('ClientRequest', byName('login-request').bytes).summary;
    assert.deepEqual(login, {
      errors: [],
      trx: '5f0c1a2b-3c4d-5e6f-7081-92a3b4c5d6e7',
      service: 'auth',
      operation: 'login',
      token: { present: false, length: 0 },
    });
    assert.equal(bundled.decode('ClientRequest', byName('login-request').bytes).summary.operation, '1');

    const errors = bundled.decode('ServerResponse', byName('error-response').bytes).summary;
    assert.deepEqual(errors, { errors: ['SE_EXPIRED_TOKEN_ERROR', 'SE_UNKNOWN_ERROR', '9'], trx: 'req-0042' });

    const create = byName('create-instance-request');
    const fresh = full.decode('ClientRequest', create.bytes, { now: NOW_BEFORE_EXPIRY }).summary;
    assert.equal(fresh.trx, '010203');
    assert.equal(fresh.service, 'instances');
    assert.equal(fresh.operation, 'create');
    assert.deepEqual(fresh.token, { present: true, length: 118, jwt: { sub: 'user-42', iat: 1700000000, exp: 1700003600, expired: false } });
    assert.equal(full.decode('ClientRequest', create.bytes, { now: NOW_AFTER_EXPIRY }).summary.token?.jwt?.expired, true);

    const event = full.decode('WsEvent', byName('billing-event').bytes).summary;
    assert.deepEqual([event.service, event.operation], ['billing', 'balances']);
    const check = bundled.decode('WsEvent', byName('domain-check-event').bytes).summary;
    assert.deepEqual([check.service, check.operation], ['domain_check', '1']);
    assert.equal(bundled.decode('WsAuth', byName('ws-auth').bytes, { now: NOW_AFTER_EXPIRY }).summary.token?.jwt?.expired, true);
  });
});

describe('codec wire details', () => {
  const codec = createCodec();

  test('repeated enums decode the same packed and unpacked', () => {
    const packed = encode([{ number: 2, bytes: Uint8Array.from([5, 9, 0]) }]);
    const unpacked = encode([
      { number: 2, varint: 5 },
      { number: 2, varint: 9 },
      { number: 2, varint: 0 },
    ]);
    for (const bytes of [packed, unpacked, concat(encode([{ number: 2, varint: 5 }]), encode([{ number: 2, bytes: Uint8Array.from([9, 0]) }]))]) {
      const result = codec.decode('ServerResponse', bytes);
      assert.deepEqual(result.json, { errors: ['SE_EXPIRED_TOKEN_ERROR', 9, 'SE_UNKNOWN_ERROR'] });
      assert.deepEqual(result.summary.errors, ['SE_EXPIRED_TOKEN_ERROR', '9', 'SE_UNKNOWN_ERROR']);
    }
  });

  test('unknown fields are kept under their number with a guess of their content', () => {
    const inner = encode([
      { number: 1, bytes: text('dev@example.com') },
      { number: 2, varint: 150 },
      { number: 3, varint: 2n ** 63n },
      { number: 4, fixed32: 0xdeadbeef },
      { number: 5, fixed64: 2n ** 64n - 1n },
      { number: 6, bytes: Uint8Array.from([0, 1, 0xff]) },
      { number: 7, bytes: text('line one\nline two') },
      { number: 8, group: [{ number: 1, varint: 1 }] },
      { number: 9, bytes: new Uint8Array(0) },
      { number: 10, bytes: text('x') },
      { number: 10, bytes: text('y') },
      { number: 10, bytes: text('z') },
    ]);
    const bytes = encode([{ number: 11, bytes: encode([{ number: 3, bytes: inner }]) }, { number: 99, varint: 1 }]);
    const result = codec.decode('ClientRequest', bytes);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.json, {
      auth: {
        '3': {
          '1': 'dev@example.com',
          '2': 150,
          '3': '9223372036854775808',
          '4': { fixed32: 0xdeadbeef },
          '5': { fixed64: '18446744073709551615' },
          '6': { bytes: 'AAH/' },
          '7': 'line one\nline two',
          '8': { group: { '1': 1 } },
          '9': '',
          '10': ['x', 'y', 'z'],
        },
      },
      '99': 1,
    });
  });

  test('a known field that arrives with another wire type is kept under its number and reported', () => {
    const result = codec.decode('ClientRequest', encode([{ number: 2, varint: 7 }]));
    assert.deepEqual(result.json, { '2': 7 });
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0].reason, /field token \(2\) arrived as varint but the schema says length-delimited/);
  });

  test('spans give each field its byte range and JSON path', () => {
    const login = encode([{ number: 1, bytes: encode([{ number: 1, bytes: text('a@b.c') }]) }]);
    const bytes = encode([
      { number: 1, bytes: text('t1') },
      { number: 11, bytes: login },
    ]);
    const full = createCodec({ protoPaths: [SCHEMA] });
    assert.deepEqual(full.decode('ClientRequest', bytes, { spans: true }).spans, {
      paths: ['trx', 'auth', 'auth.login', 'auth.login.email'],
      ranges: [0, 4, 4, 15, 6, 15, 8, 15],
    });
    const errors = codec.decode('ServerResponse', encode([{ number: 2, varint: 1 }, { number: 2, bytes: Uint8Array.from([4, 5]) }]), { spans: true });
    assert.deepEqual(errors.spans, { paths: ['errors[0]', 'errors[1]', 'errors[2]'], ranges: [0, 2, 4, 5, 5, 6] });
    const repeatedUnknown = codec.decode('ClientRequest', encode([{ number: 11, bytes: encode([{ number: 4, bytes: encode([{ number: 1, varint: 1 }]) }, { number: 4, varint: 2 }]) }]), { spans: true });
    assert.deepEqual(repeatedUnknown.spans?.paths, ['auth', 'auth.4[0]', 'auth.4[0].1', 'auth.4[1]']);
    assert.equal(codec.decode('ClientRequest', bytes).spans, undefined, 'no spans unless asked');
    for (const fixture of fixtures) {
      for (const c of [codec, full]) {
        const result = c.decode(fixture.type, fixture.bytes, { spans: true });
        for (const path of result.spans!.paths) assert.notEqual(valueAt(result.json, path), undefined, `${fixture.name}: span ${path} names a value`);
      }
    }
    const create = fixtures.find((f) => f.name === 'create-instance-request')!.bytes;
    const paths = full.decode('ClientRequest', create, { spans: true }).spans!.paths;
    assert.deepEqual(paths.filter((p) => p.startsWith('instances.create.')), [
      'instances.create.name',
      'instances.create.plan',
      'instances.create.features[0]',
      'instances.create.features[1]',
      'instances.create.labels.owner',
    ]);
  });
});

describe('codec on malformed and hostile input', () => {
  const codec = createCodec();

  test('a truncated message decodes up to the cut and says where it stopped', () => {
    const bytes = encode([{ number: 1, bytes: text('abcd') }, { number: 2, bytes: text('token-value') }]);
    const result = codec.decode('ClientRequest', bytes.subarray(0, 10));
    assert.deepEqual(result.json, { trx: 'YWJjZA==' });
    assert.deepEqual(result.problems, [{ offset: 6, reason: 'length 11 of field token runs past the end (2 bytes left)' }]);
  });

  test('a 2^31 length prefix is a problem entry', () => {
    const bytes = concat(tag(11, 2), varint(2 ** 31), [1, 2, 3]);
    const result = codec.decode('ClientRequest', bytes);
    assert.deepEqual(result.json, {});
    assert.deepEqual(result.problems, [{ offset: 0, reason: 'length 2147483648 of field auth runs past the end (3 bytes left)' }]);
  });

  test('120 levels of nesting are reported, not followed', () => {
    let inner = encode([{ number: 1, varint: 1 }]);
    for (let i = 0; i < 120; i++) inner = encode([{ number: 1, bytes: inner }]);
    const result = codec.decode('ClientRequest', encode([{ number: 11, bytes: inner }]));
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0].reason, /nested deeper than 100 levels; kept as bytes/);
    let depth = 0;
    let node = result.json.auth as any;
    while (node && node['1'] && typeof node['1'] === 'object' && !('bytes' in node['1'])) {
      node = node['1'];
      depth++;
    }
    assert.equal(depth, 99);
    assert.ok(typeof node['1'].bytes === 'string', 'the too-deep rest is kept as bytes');
  });

  test('deep groups and a recursive user schema stay bounded', () => {
    const groups = concat(...Array.from({ length: 5000 }, () => tag(1, 3)));
    assert.ok(codec.decode('ClientRequest', groups).problems.length > 0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca2-codec-'));
    try {
      fs.writeFileSync(path.join(dir, 'auth.proto'), 'syntax = "proto3";\npackage ca2auth;\nmessage Request { Request child = 1; }\n');
      const recursive = createCodec({ protoPaths: [dir] });
      let inner: Uint8Array = new Uint8Array(0);
      for (let i = 0; i < 150; i++) inner = encode([{ number: 1, bytes: inner }]);
      const result = recursive.decode('ClientRequest', encode([{ number: 11, bytes: inner }]));
      assert.equal(result.problems.length, 1);
      assert.match(result.problems[0].reason, /nested deeper than 100 levels/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('invalid wire types, field number 0 and stray end-group tags are problems with offsets', () => {
    const cases: [Uint8Array, RegExp][] = [
      [Uint8Array.from([0x0a, 0x01, 0x41, 0x0f]), /invalid wire type 7 for field 1/],
      [Uint8Array.from([0x0a, 0x01, 0x41, 0x00, 0x01]), /field number 0/],
      [Uint8Array.from([0x0c]), /end-group tag for field 1/],
      [Uint8Array.from([0xa0, 0x01, 0x80]), /field 20 is truncated/],
      [Uint8Array.from([0x5a, 0x02, 0x08]), /runs past the end/],
    ];
    for (const [bytes, reason] of cases) {
      const result = codec.decode('ClientRequest', bytes);
      assert.equal(result.problems.length, 1, Buffer.from(bytes).toString('hex'));
      assert.match(result.problems[0].reason, reason);
    }
    const partial = codec.decode('ClientRequest', Uint8Array.from([0x0a, 0x01, 0x41, 0x0f]));
    assert.deepEqual(partial.json, { trx: 'QQ==' });
    assert.equal(partial.problems[0].offset, 3);
  });

  test('a message whose inner bytes are broken still decodes the fields around it', () => {
    const broken = Uint8Array.from([0x08, 0x01, 0x0f]);
    const bytes = encode([{ number: 1, bytes: text('t') }, { number: 15, bytes: broken }, { number: 2, bytes: text('tok') }]);
    const result = codec.decode('ClientRequest', bytes);
    assert.deepEqual(result.json, { trx: 'dA==', servers: { '1': 1 }, token: 'tok' });
    assert.deepEqual(result.problems, [{ offset: 7, reason: 'invalid wire type 7 for field 1; the bytes are not a protobuf message from here on', path: 'servers' }]);
  });

  test('every truncation of every fixture decodes without throwing', () => {
    const full = createCodec({ protoPaths: [SCHEMA] });
    for (const fixture of fixtures) {
      for (let cut = 0; cut < fixture.bytes.length; cut++) {
        for (const c of [codec, full]) {
          const result = c.decode(fixture.type, fixture.bytes.subarray(0, cut), { spans: true });
          JSON.stringify(result);
        }
      }
    }
  });

  test('summarize, which rules match on, gives what decode gives as the summary: for every fixture and every truncation of it, with either schema', () => {
    const full = createCodec({ protoPaths: [SCHEMA] });
    const now = Date.parse('2026-01-01T00:00:00Z');
    let compared = 0;
    for (const fixture of fixtures) {
      for (let cut = 0; cut <= fixture.bytes.length; cut++) {
        for (const c of [codec, full]) {
          const bytes = fixture.bytes.subarray(0, cut);
          assert.deepEqual(c.summarize(fixture.type, bytes, now), c.decode(fixture.type, bytes, { now }).summary, `${fixture.name} cut at ${cut}`);
          compared++;
        }
      }
    }
    assert.ok(compared > 100, 'the fixtures were compared');
  });

  test('json gives what decode gives as the JSON: for every fixture and every truncation of it, with either schema', () => {
    const full = createCodec({ protoPaths: [SCHEMA] });
    for (const fixture of fixtures) {
      for (let cut = 0; cut <= fixture.bytes.length; cut++) {
        for (const c of [codec, full]) {
          const bytes = fixture.bytes.subarray(0, cut);
          assert.deepEqual(c.json(fixture.type, bytes), c.decode(fixture.type, bytes).json, `${fixture.name} cut at ${cut}`);
        }
      }
    }
  });
});

describe('user schemas', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca2-schema-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a descriptor set decodes the same as the .proto folder it was made from', () => {
    const desc = path.join(dir, 'ca2.desc');
    const made = spawnSync('protoc', ['-I', SCHEMA, '--include_imports', `--descriptor_set_out=${desc}`, path.join(SCHEMA, 'ca2.proto')]);
    assert.equal(made.status, 0, String(made.stderr));
    const fromDesc = createCodec({ protoPaths: [desc] });
    const fromFolder = createCodec({ protoPaths: [SCHEMA] });
    for (const fixture of fixtures) {
      assert.deepEqual(fromDesc.decode(fixture.type, fixture.bytes).json, fromFolder.decode(fixture.type, fixture.bytes).json, fixture.name);
    }
  });

  test('a user type replaces the bundled one of the same name and the rest stays bundled', () => {
    const file = path.join(dir, 'auth-only.proto');
    fs.writeFileSync(file, 'syntax = "proto3";\npackage ca2auth;\nmessage Request {\n  Login login = 1;\n}\nmessage Login {\n  string email = 1;\n}\n');
    const codec = createCodec({ protoPaths: [file] });
    const bytes = encode([
      { number: 11, bytes: encode([{ number: 1, bytes: encode([{ number: 1, bytes: text('a@b.c') }]) }]) },
      { number: 17, bytes: encode([{ number: 1, varint: 3 }]) },
    ]);
    assert.deepEqual(codec.decode('ClientRequest', bytes).json, { auth: { login: { email: 'a@b.c' } }, instances: { '1': 3 } });
  });

  // A field that could not be skipped left the search for the value at a negative offset, from
  // which it read the message again from its start: the decode never returned.
  test('an Any holding a field of an invalid wire type decodes as its fields, with the problem', { timeout: 20_000 }, () => {
    const file = path.join(dir, 'any.proto');
    fs.writeFileSync(file, 'syntax = "proto3";\npackage ca2auth;\nimport "google/protobuf/any.proto";\nmessage Request {\n  google.protobuf.Any extra = 1;\n}\n');
    const any = concat(encode([{ number: 1, bytes: text('type.googleapis.com/ca2auth.Request') }]), tag(3, 7));
    const result = createCodec({ protoPaths: [file] }).decode('ClientRequest', encode([{ number: 11, bytes: encode([{ number: 1, bytes: any }]) }]));
    assert.deepEqual(result.json, { auth: { extra: { type_url: 'type.googleapis.com/ca2auth.Request' } } });
    assert.deepEqual(result.problems.map((p) => p.reason), ['invalid wire type 7 for field 3; the bytes are not a protobuf message from here on']);
  });

  test('well-known types print as MessageToDict prints them', () => {
    const file = path.join(dir, 'wkt.proto');
    fs.writeFileSync(
      file,
      [
        'syntax = "proto3";',
        'package ca2utils;',
        'import "google/protobuf/duration.proto";',
        'import "google/protobuf/wrappers.proto";',
        'import "google/protobuf/struct.proto";',
        'import "google/protobuf/field_mask.proto";',
        'import "google/protobuf/empty.proto";',
        'import "google/protobuf/any.proto";',
        'message Extra { string note = 1; }',
        'message Request {',
        '  google.protobuf.Duration timeout = 1;',
        '  google.protobuf.Int64Value limit = 2;',
        '  google.protobuf.StringValue note = 3;',
        '  google.protobuf.Struct meta = 4;',
        '  google.protobuf.FieldMask mask = 5;',
        '  google.protobuf.Empty nothing = 6;',
        '  google.protobuf.BoolValue flag = 7;',
        '  repeated google.protobuf.Any extras = 8;',
        '}',
        '',
      ].join('\n'),
    );
    const txt = [
      'utils {',
      '  timeout { seconds: 1 nanos: 500000000 }',
      '  limit { value: 10 }',
      '  note { }',
      '  meta { fields { key: "a" value { number_value: 1.5 } } fields { key: "b" value { list_value { values { string_value: "x" } values { null_value: NULL_VALUE } values { bool_value: true } } } } }',
      '  mask { paths: "user.display_name" paths: "id" }',
      '  nothing { }',
      '  flag { }',
      '  extras { [type.googleapis.com/ca2utils.Extra] { note: "hi" } }',
      '  extras { [type.googleapis.com/google.protobuf.Duration] { seconds: 2 } }',
      '  extras { type_url: "type.googleapis.com/elsewhere.Unknown" value: "\\001" }',
      '}',
    ].join('\n');
    const envelope = path.join(dir, 'envelope.proto');
    fs.writeFileSync(envelope, 'syntax = "proto3";\npackage ca2;\nimport "wkt.proto";\nmessage ClientRequest { ca2utils.Request utils = 10; }\n');
    const encoded = spawnSync('protoc', ['-I', dir, '--encode=ca2.ClientRequest', envelope], { input: txt });
    assert.equal(encoded.status, 0, String(encoded.stderr));
    const codec = createCodec({ protoPaths: [file] });
    assert.deepEqual(codec.decode('ClientRequest', encoded.stdout).json, {
      utils: {
        timeout: '1.500s',
        limit: '10',
        note: '',
        meta: { a: 1.5, b: ['x', null, true] },
        mask: 'user.displayName,id',
        nothing: {},
        flag: false,
        extras: [
          { '@type': 'type.googleapis.com/ca2utils.Extra', note: 'hi' },
          { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '2s' },
          { type_url: 'type.googleapis.com/elsewhere.Unknown', value: 'AQ==' },
        ],
      },
    });
  });
});
