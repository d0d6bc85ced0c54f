import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { JsonObject, MessageType } from '../../model/types.ts';
import { createCodec, EncodeError } from '../../proto/codec.ts';
import { concat, encode, tag, text, varint, type Field } from './encode.ts';
import { CODEC_SCHEMA, codecFixtures } from './codec-fixtures.ts';

const SCHEMA = CODEC_SCHEMA;
const fixtures = codecFixtures();

const bundled = createCodec();
const withSchema = createCodec({ protoPaths: [SCHEMA] });

function protoc(args: string[], input: Uint8Array): string {
  const run = spawnSync('protoc', args, { input });
  assert.equal(run.error, undefined, `protoc runs (${run.error?.message})`);
  assert.equal(run.status, 0, `protoc accepts the bytes: ${run.stderr}`);
  return run.stdout.toString('utf8');
}

function protocDecode(type: MessageType, bytes: Uint8Array): string {
  return protoc(['-I', SCHEMA, `--decode=ca2.${type}`, path.join(SCHEMA, 'ca2.proto')], bytes);
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof EncodeError, `an EncodeError, not ${(err as Error).message}`);
    return err.problems.map((p) => `${p.path}: ${p.reason}`);
  }
  assert.fail('encode should have refused the value');
}

describe('encode: decoded JSON back into bytes', () => {
  for (const fixture of fixtures) {
    test(`${fixture.name}: decode then encode with the recorded bytes gives them back, with and without the user schema`, () => {
      for (const codec of [bundled, withSchema]) {
        const { json } = codec.decode(fixture.type, fixture.bytes);
        assert.deepEqual(Buffer.from(codec.encode(fixture.type, json, fixture.bytes)), fixture.bytes);
      }
    });

    test(`${fixture.name}: encoded from the JSON alone, protoc reads the same message`, () => {
      const schemaJson = withSchema.decode(fixture.type, fixture.bytes).json;
      assert.equal(protocDecode(fixture.type, withSchema.encode(fixture.type, schemaJson)), protocDecode(fixture.type, fixture.bytes));
      const bundledJson = bundled.decode(fixture.type, fixture.bytes).json;
      assert.equal(protoc(['--decode_raw'], bundled.encode(fixture.type, bundledJson)), protoc(['--decode_raw'], fixture.bytes));
    });
  }

  test('without maps, the JSON alone encodes to the very bytes protoc made', () => {
    for (const fixture of fixtures.filter((f) => f.name !== 'instances-list-response')) {
      const { json } = withSchema.decode(fixture.type, fixture.bytes);
      assert.deepEqual(Buffer.from(withSchema.encode(fixture.type, json)), fixture.bytes, fixture.name);
    }
  });

  test('an edited field reaches protoc as edited, the rest unchanged', () => {
    const login = fixtures.find((f) => f.name === 'login-request')!;
    const json = withSchema.decode('ClientRequest', login.bytes).json as JsonObject;
    const edited = structuredClone(json);
    ((edited.auth as JsonObject).login as JsonObject).email = 'ops@example.com';
    edited.token = 'eyJhbGciOiJIUzI1NiJ9.e30.sig';
    const decoded = protocDecode('ClientRequest', withSchema.encode('ClientRequest', edited, login.bytes));
    assert.match(decoded, /email: "ops@example.com"/);
    assert.match(decoded, /password: "correct horse"/);
    assert.match(decoded, /token: "eyJhbGciOiJIUzI1NiJ9.e30.sig"/);
  });

  test('fields the schema does not know keep their recorded bytes when a sibling is edited', () => {
    // Field 11 (auth) holds a varint written in 3 bytes where 1 would do: re-encoding it would shorten it.
    const inner = concat(tag(1, 0), [0x85, 0x80, 0x00]);
    const original = encode([
      { number: 1, bytes: text('t-1') },
      { number: 11, bytes: inner },
    ]);
    const { json } = bundled.decode('ClientRequest', original);
    assert.deepEqual(json, { trx: Buffer.from('t-1').toString('base64'), auth: { 1: 5 } });
    const edited = { ...json, token: 'new-token' };
    const bytes = Buffer.from(bundled.encode('ClientRequest', edited, original));
    assert.deepEqual(bytes, Buffer.from(concat(tag(1, 2), varint(3), text('t-1'), tag(2, 2), varint(9), text('new-token'), tag(11, 2), varint(inner.length), inner)));
  });

  test('an edited unknown field is written from its guess, keeping the wire type it was recorded with', () => {
    const original = encode([{ number: 10, bytes: encode([{ number: 3, varint: 7n }, { number: 4, fixed32: 9 }, { number: 5, bytes: text('hello') }]) }]);
    const { json } = bundled.decode('ClientRequest', original);
    assert.deepEqual(json, { utils: { 3: 7, 4: { fixed32: 9 }, 5: 'hello' } });
    const bytes = bundled.encode('ClientRequest', { utils: { 3: 8, 4: { fixed32: 10 }, 5: 'bye', 6: { bytes: 'AAH/' } } }, original);
    assert.equal(protoc(['--decode_raw'], bytes), '10 {\n  3: 8\n  4: 0x0000000a\n  5: "bye"\n  6: "\\000\\001\\377"\n}\n');
  });

  test('a value that does not fit its field is refused with its path and the reason', () => {
    assert.deepEqual(
      problemsOf(() => withSchema.encode('ClientRequest', { auth: { login: { email: 12 } } })),
      ['auth.login.email: expected a string, got 12'],
    );
    assert.deepEqual(
      problemsOf(() => withSchema.encode('ClientRequest', { trx: 'not base64!', auth: { login: { emial: 'a' } } })),
      ['trx: expected base64 bytes, got "not base64!"', 'auth.login.emial: no field named "emial" in ca2auth.LoginRequest'],
    );
  });

  test('every kind of scalar is range-checked', () => {
    const list = fixtures.find((f) => f.name === 'instances-list-response')!;
    const json = withSchema.decode('ServerResponse', list.bytes).json as JsonObject;
    const bad = structuredClone(json);
    const badInstance = (((bad.instances as JsonObject).list as JsonObject).instances as JsonObject[])[0];
    Object.assign(badInstance, { vcpus: 2 ** 32, memory_bytes: '9223372036854775808', state: 'FLYING', locked: 'yes', created_at: 'yesterday' });
    assert.deepEqual(problemsOf(() => withSchema.encode('ServerResponse', bad)), [
      'instances.list.instances[0].state: "FLYING" is not a value of this enum; use one of INSTANCE_STATE_UNSPECIFIED, RUNNING, STOPPED, PROVISIONING or a number',
      'instances.list.instances[0].memory_bytes: 9223372036854775808 is out of range for a 64-bit integer (-9223372036854775808 to 9223372036854775807)',
      'instances.list.instances[0].vcpus: 4294967296 is out of range for an unsigned 32-bit integer (0 to 4294967295)',
      'instances.list.instances[0].created_at: expected an RFC 3339 time such as "2023-11-14T22:13:20Z", got "yesterday"',
      'instances.list.instances[0].locked: expected true or false, got "yes"',
    ]);
  });

  test('a Timestamp written by hand encodes as protoc would', () => {
    const list = fixtures.find((f) => f.name === 'instances-list-response')!;
    const json = withSchema.decode('ServerResponse', list.bytes).json as JsonObject;
    const instance = (((json.instances as JsonObject).list as JsonObject).instances as JsonObject[])[0];
    instance.created_at = '2024-02-29T12:00:00.5+01:00';
    assert.match(protocDecode('ServerResponse', withSchema.encode('ServerResponse', json)), /created_at \{\n\s+seconds: 1709204400\n\s+nanos: 500000000\n/);
  });
});

// Recorded messages as clients write them, not only as protoc does, with unknown content anywhere.
const innerNumber = fc.integer({ min: 1, max: 12 });

type NumberedRecord = [number: number, record: Uint8Array];

/** Records of one message level; `canonical` ones are sorted by number with minimal varints, as protoc writes them. */
function records(canonical: boolean): fc.Arbitrary<Uint8Array> {
  const level = (list: NumberedRecord[]) => concat(...(canonical ? [...list].sort((a, b) => a[0] - b[0]) : list).map(([, record]) => record));
  const { record } = fc.letrec<{ record: NumberedRecord; message: Uint8Array }>((tie) => ({
    message: fc.array(tie('record'), { maxLength: 4 }).map(level),
    record: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      ...[
        fc.record({ number: innerNumber, varint: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
        fc.record({ number: innerNumber, fixed32: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
        fc.record({ number: innerNumber, fixed64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
        // Canonical binary starts with a field number 0, so it cannot pass for a message written out of order.
        fc.record({ number: innerNumber, bytes: fc.uint8Array({ maxLength: 6 }).map((bytes) => (canonical ? concat([0], bytes) : bytes)) }),
      ].map((field) => (field as fc.Arbitrary<Field>).map((f): NumberedRecord => [f.number, encode([f])])),
      fc.tuple(innerNumber, tie('message')).map(([number, bytes]): NumberedRecord => [number, encode([{ number, bytes }])]),
      ...(canonical
        ? []
        : [fc.tuple(innerNumber, fc.integer({ min: 0, max: 127 })).map(([number, value]): NumberedRecord => [number, Uint8Array.from([...tag(number, 0), value | 0x80, 0x80, 0x00])])]),
    ) as fc.Arbitrary<NumberedRecord>,
  }));
  return fc.array(record, { maxLength: 5 }).map(level);
}

interface Envelope {
  trx: Uint8Array;
  token: string;
  service: number;
  inner: Uint8Array;
  extra: [number, Uint8Array][];
}

function envelopes(canonical: boolean): fc.Arbitrary<Envelope> {
  return fc.record({
    trx: fc.uint8Array({ minLength: 1, maxLength: 20 }),
    token: fc.string({ maxLength: 30 }),
    service: fc.constantFrom(10, 11, 12, 13, 14, 15, 16, 17, 18),
    inner: records(canonical),
    extra: fc.array(fc.tuple(fc.integer({ min: 19, max: 40 }), records(canonical)), { maxLength: 2 }),
  });
}
/** As clients may write them: fields in any order, numbers repeated apart, varints longer than they need be. */
const envelope = envelopes(false);

function envelopeBytes(e: Envelope): Uint8Array {
  return concat(
    encode([{ number: 1, bytes: e.trx }, ...(e.token ? [{ number: 2, bytes: text(e.token) }] : []), { number: e.service, bytes: e.inner }]),
    // Unknown top-level fields after the known ones, in ascending order.
    ...[...e.extra].sort((a, b) => a[0] - b[0]).map(([number, record]) => encode([{ number, bytes: record }])),
  );
}

describe('encode properties', () => {
  test('unchanged JSON with its recording gives the recorded bytes back, however they were written inside', () => {
    fc.assert(
      fc.property(envelope, (e) => {
        const bytes = Buffer.from(envelopeBytes(e));
        for (const codec of [bundled, withSchema]) {
          const decoded = codec.decode('ClientRequest', bytes);
          fc.pre(decoded.problems.length === 0);
          assert.deepEqual(Buffer.from(codec.encode('ClientRequest', decoded.json, bytes)), bytes);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('an edited token changes only the token: every other field keeps its recorded bytes', () => {
    fc.assert(
      fc.property(envelope, fc.string({ minLength: 1, maxLength: 30 }), (e, token) => {
        const bytes = envelopeBytes(e);
        const decoded = bundled.decode('ClientRequest', bytes);
        fc.pre(decoded.problems.length === 0);
        const edited = bundled.encode('ClientRequest', { ...decoded.json, token }, bytes);
        assert.deepEqual(Buffer.from(edited), Buffer.from(envelopeBytes({ ...e, token })));
        assert.deepEqual(bundled.decode('ClientRequest', edited).json, { ...decoded.json, token });
      }),
      { numRuns: 300 },
    );
  });

  // Without the recording an overlong varint comes out short, and bytes that were no text
  // can then read as text: only what protoc would write is sure to come back the same. With
  // the bundled schema everything inside the envelope is a guess: this checks the guesses.
  test('the guessed JSON of unknown content, encoded without a recording, gives protoc-canonical bytes back', () => {
    fc.assert(
      fc.property(envelopes(true), (e) => {
        const bytes = envelopeBytes(e);
        const decoded = bundled.decode('ClientRequest', bytes);
        fc.pre(decoded.problems.length === 0);
        assert.deepEqual(Buffer.from(bundled.encode('ClientRequest', decoded.json)), Buffer.from(bytes));
      }),
      { numRuns: 300 },
    );
  });
});
