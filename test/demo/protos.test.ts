// demo/protos: a self-contained, protoc-valid schema set whose envelope is exactly the documented one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { demoProtoDir } from '../../demo/paths.ts';

const files = readdirSync(demoProtoDir).filter((f) => f.endsWith('.proto')).sort();

function loadSet(): protobuf.Root {
  const root = new protobuf.Root().loadSync(files.map((f) => join(demoProtoDir, f)), { keepCase: true });
  root.resolveAll();
  return root;
}

const services = ['auth', 'billing', 'instances', 'referrals', 'servers', 'ssh', 'users', 'utils', 'domains'];

// From the ca2 getting-started document: name → [number, type].
const documented: Record<string, Record<string, [number, string]>> = {
  'ca2.ClientRequest': {
    trx: [1, 'bytes'], token: [2, 'string'], auth: [11, 'ca2auth.Request'], billing: [16, 'ca2billing.Request'],
    instances: [17, 'ca2instances.Request'], referrals: [14, 'ca2referrals.Request'], servers: [15, 'ca2servers.Request'],
    ssh: [13, 'ca2ssh.Request'], users: [12, 'ca2users.Request'], utils: [10, 'ca2utils.Request'], domains: [18, 'ca2domains.Request'],
  },
  'ca2.ServerResponse': {
    trx: [1, 'bytes'], errors: [2, 'ca2.ServerError'], auth: [11, 'ca2auth.Response'], billing: [16, 'ca2billing.Response'],
    instances: [17, 'ca2instances.Response'], referrals: [14, 'ca2referrals.Response'], servers: [15, 'ca2servers.Response'],
    ssh: [13, 'ca2ssh.Response'], users: [12, 'ca2users.Response'], utils: [10, 'ca2utils.Response'], domains: [18, 'ca2domains.Response'],
  },
  'ca2.WsAuth': { token: [2, 'string'] },
  'ca2.WsEvent': {
    errors: [2, 'ca2.ServerError'], billing: [1, 'ca2billing.WsEvent'], instances: [3, 'ca2instances.WsEvent'],
    domain_check: [4, 'ca2domains.DomainCheckWsEvent'], domains: [5, 'ca2domains.DomainEvent'],
  },
  'ca2billing.WsEvent': { balances: [1, 'ca2types.Balance'], payments: [2, 'ca2types.Payment'] },
  'ca2instances.WsEvent': { updated_instances: [1, 'ca2types.Instance'] },
};

test('protoc compiles the whole folder as one set with its imports resolved inside it', () => {
  const result = spawnSync('protoc', ['--include_imports', '--descriptor_set_out=/dev/null', '-I', demoProtoDir, ...files.map((f) => join(demoProtoDir, f))], {
    encoding: 'utf8',
  });
  assert.equal(result.error, undefined, `protoc could not run (install protobuf-compiler): ${result.error?.message}`);
  assert.equal(result.status, 0, result.stderr);
});

test('demoProtoDir is an absolute path holding the envelope and every service package', () => {
  assert.ok(isAbsolute(demoProtoDir));
  assert.deepEqual(files, ['ca2.proto', ...services.map((s) => `ca2${s}.proto`), 'ca2types.proto'].sort());
});

test('every file says at the top that its schema is illustrative', () => {
  for (const file of files) {
    const head = readFileSync(join(demoProtoDir, file), 'utf8').split('\n').slice(0, 3).join('\n');
    assert.match(head, /ILLUSTRATIVE ONLY/, file);
  }
});

test('the envelope messages have exactly the documented field names, numbers and types', () => {
  const root = loadSet();
  for (const [name, fields] of Object.entries(documented)) {
    const type = root.lookupType(name);
    const actual = Object.fromEntries(
      type.fieldsArray.map((f) => [f.name, [f.id, f.resolvedType ? f.resolvedType.fullName.slice(1) : f.type] as [number, string]]),
    );
    assert.deepEqual(actual, fields, name);
    for (const field of ['errors', 'balances', 'payments', 'updated_instances']) {
      if (type.fields[field]) assert.ok(type.fields[field].repeated, `${name}.${field} is repeated`);
    }
  }
});

test('ServerError lists exactly the documented values', () => {
  assert.deepEqual({ ...loadSet().lookupEnum('ca2.ServerError').values }, {
    SE_UNKNOWN_ERROR: 0,
    SE_TRX_REQUIRED_ERROR: 1,
    SE_INVALID_TRX_ERROR: 2,
    SE_INVALID_TOKEN_ERROR: 4,
    SE_EXPIRED_TOKEN_ERROR: 5,
    SE_INTERNAL_SERVER_ERROR: 6,
    SE_TOKEN_REQUIRED_ERROR: 7,
    SE_RATE_LIMIT_EXCEEDED_ERROR: 8,
  });
});

test('each service Request and Response is a set of operations whose names match pairwise', () => {
  const root = loadSet();
  for (const service of services) {
    const request = root.lookupType(`ca2${service}.Request`);
    const response = root.lookupType(`ca2${service}.Response`);
    assert.ok(request.fieldsArray.length > 0, `ca2${service}.Request has operations`);
    for (const field of [...request.fieldsArray, ...response.fieldsArray]) {
      assert.ok(field.resolvedType instanceof protobuf.Type, `${field.fullName} is a message`);
      assert.ok(!field.repeated, `${field.fullName} is a single operation`);
    }
    assert.deepEqual(
      response.fieldsArray.map((f) => [f.name, f.id]),
      request.fieldsArray.map((f) => [f.name, f.id]),
      `ca2${service} answers each operation under the same name and number`,
    );
  }
});

test('the shared types carry realistic fields: int64 money and times, enums, maps and repeated fields', () => {
  const root = loadSet();
  const instance = root.lookupType('ca2types.Instance');
  assert.equal(instance.fields.status.resolvedType?.fullName, '.ca2types.InstanceStatus');
  assert.equal(instance.fields.created_at_ms.type, 'int64');
  assert.ok(instance.fields.labels instanceof protobuf.MapField);
  assert.ok(instance.fields.ipv4.repeated);
  assert.equal(root.lookupType('ca2types.Balance').fields.amount.type, 'int64');
  assert.equal(root.lookupType('ca2types.Payment').fields.amount.type, 'int64');
  assert.equal(root.lookupType('ca2types.Payment').fields.status.resolvedType?.fullName, '.ca2types.PaymentStatus');
});
