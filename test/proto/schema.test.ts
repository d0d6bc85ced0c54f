import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { createCodec } from '../../proto/codec.ts';
import { descriptorSetOf } from '../../proto/descriptor-set.ts';
import { loadSchema, loadSchemaFromDescriptorSet, MAX_SCHEMA_FIELDS, SchemaError } from '../../proto/schema.ts';

describe('loadSchema', () => {
  let dir: string;
  const write = (name: string, source: string): string => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, source);
    return file;
  };
  const failure = (paths: string[]): string => {
    try {
      loadSchema(paths);
    } catch (err) {
      assert.ok(err instanceof SchemaError, `a SchemaError, not ${(err as Error).stack}`);
      assert.doesNotMatch(err.message, /\n|    at /, 'one line, no stack');
      return err.message;
    }
    assert.fail('the schema was expected to be refused');
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca2-load-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the bundled schema has the documented envelope with its names and numbers', () => {
    const root = loadSchema();
    const fields = (name: string) => Object.fromEntries(root.lookupType(name).fieldsArray.map((field) => [field.name, [field.id, field.type]]));
    assert.deepEqual(fields('ca2.ClientRequest'), {
      trx: [1, 'bytes'],
      token: [2, 'string'],
      auth: [11, 'ca2auth.Request'],
      billing: [16, 'ca2billing.Request'],
      instances: [17, 'ca2instances.Request'],
      referrals: [14, 'ca2referrals.Request'],
      servers: [15, 'ca2servers.Request'],
      ssh: [13, 'ca2ssh.Request'],
      users: [12, 'ca2users.Request'],
      utils: [10, 'ca2utils.Request'],
      domains: [18, 'ca2domains.Request'],
    });
    assert.deepEqual(fields('ca2.WsEvent'), {
      errors: [2, 'ca2.ServerError'],
      billing: [1, 'ca2billing.WsEvent'],
      instances: [3, 'ca2instances.WsEvent'],
      domain_check: [4, 'ca2domains.DomainCheckWsEvent'],
      domains: [5, 'ca2domains.DomainEvent'],
    });
    assert.deepEqual(fields('ca2.WsAuth'), { token: [2, 'string'] });
    assert.deepEqual(fields('ca2billing.WsEvent'), { balances: [1, 'ca2types.Balance'], payments: [2, 'ca2types.Payment'] });
    assert.deepEqual(fields('ca2instances.WsEvent'), { updated_instances: [1, 'ca2types.Instance'] });
    assert.deepEqual({ ...root.lookupEnum('ca2.ServerError').values }, {
      SE_UNKNOWN_ERROR: 0,
      SE_TRX_REQUIRED_ERROR: 1,
      SE_INVALID_TRX_ERROR: 2,
      SE_INVALID_TOKEN_ERROR: 4,
      SE_EXPIRED_TOKEN_ERROR: 5,
      SE_INTERNAL_SERVER_ERROR: 6,
      SE_TOKEN_REQUIRED_ERROR: 7,
      SE_RATE_LIMIT_EXCEEDED_ERROR: 8,
    });
    for (const name of ['ca2types.Balance', 'ca2types.Payment', 'ca2types.Instance', 'ca2domains.DomainCheckWsEvent', 'ca2domains.DomainEvent', 'ca2auth.Response']) {
      assert.deepEqual(root.lookupType(name).fieldsArray, [], `${name} is declared without fields`);
    }
  });

  test('a folder resolves imports inside itself and names fields as written', () => {
    write('schemas/types/balance.proto', 'syntax = "proto3";\npackage ca2types;\nmessage Balance { int64 amount_cents = 1; }\n');
    write('schemas/billing.proto', 'syntax = "proto3";\npackage ca2billing;\nimport "types/balance.proto";\nmessage WsEvent { repeated ca2types.Balance balances = 1; }\n');
    const root = loadSchema([path.join(dir, 'schemas')]);
    assert.equal(root.lookupType('ca2types.Balance').fields.amount_cents.id, 1);
    assert.ok(root.lookup('ca2.ClientRequest') instanceof protobuf.Type, 'the bundled envelope is still there');
  });

  test('an unknown type names the file and line', () => {
    const file = write('bad-type.proto', 'syntax = "proto3";\npackage ca2billing;\n\nmessage WsEvent {\n  repeated ca2types.Balanc balances = 1;\n}\n');
    assert.equal(failure([file]), `--proto ${file}:5: unknown type ca2types.Balanc (in ca2billing.WsEvent); define it or pass the file that does.`);
  });

  test('a syntax error names the file and line', () => {
    const file = write('bad-syntax.proto', 'syntax = "proto3";\npackage x;\nmessage A {\n  int32 a = 1\n}\n');
    assert.equal(failure([file]), `--proto ${file}:5: illegal token '}', ';' expected`);
  });

  test('a missing import names the importing file and line', () => {
    const file = write('bad-import.proto', 'syntax = "proto3";\npackage x;\nimport "nowhere.proto";\n');
    assert.match(failure([file]), new RegExp(`^--proto ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: import "nowhere.proto" is not in `));
  });

  test('a missing path, a non-descriptor file and conflicting definitions are refused with a sentence', () => {
    assert.match(failure([path.join(dir, 'absent.proto')]), /absent\.proto: no such file or folder; pass a \.proto file/);
    assert.match(failure([write('notes.desc', 'not a descriptor')]), /notes\.desc: not a descriptor set .*protoc --include_imports --descriptor_set_out/);
    const one = write('one/a.proto', 'syntax = "proto3";\npackage dup;\nmessage M { int32 a = 1; }\n');
    const two = write('two/a.proto', 'syntax = "proto3";\npackage dup;\nmessage M { string a = 1; }\n');
    assert.match(failure([one, two]), /dup\.M is also defined, differently, by --proto .*one\/a\.proto/);
    const same = write('three/a.proto', 'syntax = "proto3";\npackage dup;\nmessage M { int32 a = 1; }\n');
    assert.doesNotThrow(() => loadSchema([one, same]), 'the same definition twice is fine');
  });
});

describe('embedded descriptor sets', () => {
  const demo = path.join(path.dirname(new URL(import.meta.url).pathname), '../../demo/protos');

  test('a codec made from a FileDescriptorSet decodes as one made from the .proto files', () => {
    const fromFiles = createCodec({ protoPaths: [demo] });
    const set = fromFiles.descriptorSet();
    const fromSet = createCodec({ descriptorSet: { bytes: set, label: 'x.capture' } });
    // auth { login { email: "a@b.c" password: "demo" } } with trx "t"
    const bytes = Buffer.from('0a01745a0f0a0d0a056140622e63120464656d6f', 'hex');
    assert.deepEqual(fromSet.decode('ClientRequest', bytes), fromFiles.decode('ClientRequest', bytes));
    assert.deepEqual(fromSet.decode('ClientRequest', bytes).json, { trx: 'dA==', auth: { login: { email: 'a@b.c', password: 'demo' } } });
    const again = createCodec({ descriptorSet: { bytes: fromSet.descriptorSet(), label: 'y.capture' } });
    assert.deepEqual(again.decode('ClientRequest', bytes), fromFiles.decode('ClientRequest', bytes), 'a capture of a capture keeps the schema');
  });

  test("protoc's descriptor set, and ours of it, decode, encode and summarise maps, groups, optional and proto2 as the .proto files do", () => {
    const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures');
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ca2-maps-'));
    try {
      const protoc = (folder: string, args: string[], input?: string) => {
        const out = spawnSync('protoc', ['-I', folder, ...args], { input });
        assert.equal(out.status, 0, String(out.stderr));
        return out.stdout;
      };
      const cases = [
        {
          folder: path.join(fixtures, 'maps'),
          texts: [fs.readFileSync(path.join(fixtures, 'maps/message.txt'), 'utf8'), 'legacy { a: 0 must: "" }'],
        },
        {
          folder: demo,
          texts: [
            'trx: "t" instances { create { name: "web-1" labels { key: "env" value: "prod" } labels { key: "team" value: "core" } } }',
            'trx: "t" instances { list { label_selector { key: "env" value: "prod" } } }',
            'trx: "t" users { update_profile { preferences { key: "theme" value: "dark" } } }',
          ],
        },
      ];
      for (const { folder, texts } of cases) {
        const setFile = path.join(work, `${path.basename(folder)}.desc`);
        protoc(folder, ['--include_imports', `--descriptor_set_out=${setFile}`, path.join(folder, 'ca2.proto')]);
        const fromFiles = createCodec({ protoPaths: [folder] });
        const fromProtoc = createCodec({ descriptorSet: { bytes: fs.readFileSync(setFile), label: 'protoc.desc' } });
        const fromOurs = createCodec({ descriptorSet: { bytes: fromProtoc.descriptorSet(), label: 'x.capture' } });
        const fromOursOfFiles = createCodec({ descriptorSet: { bytes: fromFiles.descriptorSet(), label: 'y.capture' } });
        for (const text of texts) {
          const bytes = protoc(folder, ['--encode=ca2.ClientRequest', path.join(folder, 'ca2.proto')], text);
          const expected = fromFiles.decode('ClientRequest', bytes, { spans: true, now: 0 });
          assert.deepEqual(expected.problems, [], text);
          for (const [name, codec] of [['protoc', fromProtoc], ['ours of protoc', fromOurs], ['ours of the files', fromOursOfFiles]] as const) {
            assert.deepEqual(codec.decode('ClientRequest', bytes, { spans: true, now: 0 }), expected, `${name}: ${text}`);
            assert.deepEqual(codec.summarize('ClientRequest', bytes, 0), fromFiles.summarize('ClientRequest', bytes, 0), `${name}: ${text}`);
            assert.deepEqual(codec.encode('ClientRequest', expected.json), fromFiles.encode('ClientRequest', expected.json), `${name}: ${text}`);
          }
        }
      }
      const demoJson = createCodec({ descriptorSet: { bytes: fs.readFileSync(path.join(work, 'protos.desc')), label: 'protoc.desc' } }).decode(
        'ClientRequest', protoc(demo, ['--encode=ca2.ClientRequest', path.join(demo, 'ca2.proto')], cases[1]!.texts[0]),
      ).json;
      assert.deepEqual(demoJson, { trx: 'dA==', instances: { create: { name: 'web-1', labels: { env: 'prod', team: 'core' } } } });
      for (const bytes of [fs.readFileSync(path.join(work, 'protos.desc')), createCodec({ protoPaths: [demo] }).descriptorSet()]) {
        const root = loadSchemaFromDescriptorSet(bytes, 'x.capture');
        const create = root.lookupType('ca2instances.CreateInstanceRequest');
        assert.ok(create.fields.labels instanceof protobuf.MapField);
        assert.deepEqual(create.nestedArray, [], 'no entry type left behind');
        assert.equal(create.options, undefined, 'nor a map_entry mark on the message that held one');
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  test('bytes that are no descriptor set are refused naming the file', () => {
    assert.throws(() => createCodec({ descriptorSet: { bytes: Buffer.from('nonsense'), label: 'x.capture' } }), (err: Error) =>
      err instanceof SchemaError && /^x\.capture: its embedded schema/.test(err.message));
  });
});

describe('large schemas', () => {
  const FileDescriptorSet = (descriptor as unknown as { FileDescriptorSet: protobuf.Type }).FileDescriptorSet;
  /** A set with one message of `fields` string fields, all in one oneof when `oneof` is set. */
  const wide = (fields: number, oneof: boolean) =>
    FileDescriptorSet.encode(
      FileDescriptorSet.fromObject({
        file: [{
          name: 'wide.proto', package: 'wide', syntax: 'proto3',
          messageType: [{
            name: 'Wide',
            oneofDecl: oneof ? [{ name: 'choice' }] : [],
            field: Array.from({ length: fields }, (_, i) => ({ name: `f${i}`, number: i + 1, label: 1, type: 9, ...(oneof ? { oneofIndex: 0 } : {}) })),
          }],
        }],
      }),
    ).finish();

  test('a descriptor set loads as the .proto files it was made from, maps, oneofs and nested types included', () => {
    const fixture = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/codec/schema');
    const files = loadSchema([fixture]);
    const ours = loadSchemaFromDescriptorSet(descriptorSetOf(files), 'x.capture');
    const theirs = (protobuf.Root as unknown as { fromDescriptor(b: Uint8Array): protobuf.Root }).fromDescriptor(descriptorSetOf(files));
    // Type names by what they resolve to (a set may spell them otherwise); a descriptor lists a package's messages before its enums.
    const described = (object: protobuf.ReflectionObject | null): string => {
      if (!(object instanceof protobuf.Type)) return JSON.stringify(object?.toJSON());
      const fields = object.fieldsArray.map((field) => ({ ...field.toJSON(), name: field.name, type: field.resolvedType?.fullName ?? field.type }));
      return JSON.stringify({ ...object.toJSON(), fields, nested: object.nestedArray.map(described) });
    };
    for (const object of theirs.nestedArray.flatMap((pkg) => (pkg as protobuf.Namespace).nestedArray)) {
      assert.equal(described(ours.lookup(object.fullName)), described(files.lookup(object.fullName)), object.fullName);
    }
    const type = ours.lookupType('ca2.ClientRequest');
    assert.equal(type.fieldsById[11].name, 'auth');
    assert.equal(type.oneofsArray.length, (theirs.lookupType('ca2.ClientRequest')).oneofsArray.length);
  });

  test('a message of 20,000 fields, or a oneof of 20,000, loads and decodes by name', () => {
    for (const oneof of [false, true]) {
      const codec = createCodec({ descriptorSet: { bytes: wide(20_000, oneof), label: 'wide.capture' } });
      const root = loadSchemaFromDescriptorSet(codec.descriptorSet(), 'again');
      assert.equal(root.lookupType('wide.Wide').fieldsById[20_000].name, 'f19999');
      assert.equal(root.lookupType('wide.Wide').fieldsArray.length, 20_000);
      if (oneof) assert.equal(root.lookupType('wide.Wide').oneofs.choice.fieldsArray.length, 20_000);
    }
  });

  test('a schema over the limit is refused with a sentence naming the file, before it is built', () => {
    const over = wide(MAX_SCHEMA_FIELDS + 1, false);
    assert.throws(() => createCodec({ descriptorSet: { bytes: over, label: 'big.capture' } }), (err: Error) =>
      err instanceof SchemaError && err.message === 'big.capture: its embedded schema has 100,001 fields and enum values, more than the 100,000 ca2-inspector loads; pass --proto with the schema instead.');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca2-wide-'));
    try {
      const file = path.join(dir, 'big.desc');
      fs.writeFileSync(file, over);
      assert.throws(() => loadSchema([file]), (err: Error) => err instanceof SchemaError && /^--proto .*big\.desc: the descriptor set has 100,001 fields and enum values, more than the 100,000 ca2-inspector loads; pass a set of only the files you need\.$/.test(err.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
