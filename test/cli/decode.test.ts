import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const MESSAGES = path.resolve('test/fixtures/codec/messages');
const SCHEMA = path.resolve('test/fixtures/codec/schema');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function decode(args: string[], input?: Uint8Array | string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/ca2-inspector.js', 'decode', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

const loginBin = path.join(MESSAGES, 'login-request.bin');

describe('ca2-inspector decode', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca2-decode-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('prints the JSON of a binary ClientRequest file and exits 0', async () => {
    const run = await decode([loginBin]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), JSON.parse(fs.readFileSync(path.join(MESSAGES, 'login-request.bundled.json'), 'utf8')));
    assert.equal(run.stderr, '');
  });

  test('reads standard input, hex and base64, with a type and a user schema', async () => {
    const bytes = fs.readFileSync(path.join(MESSAGES, 'error-response.bin'));
    const expected = JSON.parse(fs.readFileSync(path.join(MESSAGES, 'error-response.json'), 'utf8'));
    const cases = [
      [['--type', 'ServerResponse', '-'], bytes],
      [['--type=ServerResponse', '--hex'], bytes.toString('hex').replace(/(..)/g, '$1 ') + '\n'],
      [['--type', 'ServerResponse', '--base64', '--proto', SCHEMA], bytes.toString('base64') + '\n'],
    ] as const;
    const runs = await Promise.all(cases.map(([args, input]) => decode([...args], input)));
    for (const [i, [args]] of cases.entries()) {
      const run = runs[i];
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.deepEqual(JSON.parse(run.stdout), expected, args.join(' '));
    }
  });

  test('--summary prints json, summary and problems', async () => {
    const run = await decode(['--summary', '--proto', SCHEMA, loginBin]);
    assert.equal(run.code, 0, run.stderr);
    const output = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(output), ['json', 'summary', 'problems']);
    assert.equal(output.summary.operation, 'login');
    assert.deepEqual(output.problems, []);
  });

  test('--raw prints what protoc --decode_raw prints', async () => {
    const run = await decode(['--raw', loginBin]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      '1: "_\\014\\032+<M^op\\201\\222\\243\\264\\305\\326\\347"\n11 {\n  1 {\n    1: "dev@example.com"\n    2: "correct horse"\n  }\n}\n',
    );
    const refused = await decode(['--raw', '--hex'], '0a05');
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^ca2-inspector decode: protoc --decode_raw refuses this input: .* at byte 0\.\n$/);
  });

  test('exits 1 with the partial JSON and one line per problem for malformed input', async () => {
    const run = await decode(['--hex'], '0a0461626364 12 0b 746f6b');
    assert.equal(run.code, 1);
    assert.deepEqual(JSON.parse(run.stdout), { trx: 'YWJjZA==' });
    assert.equal(run.stderr, 'ca2-inspector decode: byte 6: length 11 of field token runs past the end (3 bytes left)\n');
  });

  test('exits 2 with one line on stderr for usage mistakes and unreadable input', async () => {
    const badSchema = path.join(dir, 'bad.proto');
    fs.writeFileSync(badSchema, 'syntax = "proto3";\npackage ca2types;\nmessage Balance {\n  Amount amount = 1;\n}\n');
    const cases: [string[], string | undefined, RegExp][] = [
      [['--type', 'Foo'], undefined, /--type Foo is not a ca2 message; use one of ClientRequest, ServerResponse, WsAuth, WsEvent\./],
      [['--hex', '--base64'], undefined, /--hex and --base64 cannot be combined/],
      [['--bogus'], undefined, /unknown option --bogus/],
      [['--proto'], undefined, /--proto needs a value/],
      [[path.join(dir, 'missing.bin')], undefined, /cannot read .*missing\.bin \(no such file\)/],
      [[dir], undefined, /cannot read .* \(it is a folder\)/],
      [['--hex'], 'xyz', /standard input is not hex/],
      [['--base64'], '!!!', /standard input is not base64/],
      [['--proto', badSchema, loginBin], undefined, /--proto .*bad\.proto:4: unknown type Amount/],
      [['a.bin', 'b.bin'], undefined, /one input at a time/],
    ];
    const runs = await Promise.all(cases.map(([args, input]) => decode(args, input)));
    for (const [i, [args, , message]] of cases.entries()) {
      const run = runs[i];
      assert.equal(run.code, 2, `${args.join(' ')} exits 2`);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^ca2-inspector decode: [^\n]+\n$/, `${args.join(' ')}: one line, got ${JSON.stringify(run.stderr)}`);
      assert.match(run.stderr, message);
    }
  });

  test('--help prints the usage and exits 0', async () => {
    const run = await decode(['--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^usage: ca2-inspector decode \[--type ClientRequest\|ServerResponse\|WsAuth\|WsEvent\]/);
  });
});
