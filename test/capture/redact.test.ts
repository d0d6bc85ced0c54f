import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CapturedExchange } from '../../capture/captured.ts';
import { Redactor } from '../../capture/redact.ts';

function http(path: string, headers: [string, string][], body = ''): CapturedExchange {
  return {
    flow: {
      id: 1, kind: 'http', startedAt: 0, endedAt: 1, clientAddress: '',
      request: { method: 'GET', path, httpVersion: '1.1', headers, body: new Uint8Array(0), size: 0, truncated: false },
      response: {
        status: 200, statusMessage: 'OK', headers: [['Content-Length', String(Buffer.byteLength(body))], ['Set-Cookie', 'sid=set-cookie-secret-1; Path=/; Secure']],
        body: Buffer.from(body), size: Buffer.byteLength(body), truncated: false,
      },
      error: null,
    },
    frames: [],
    close: null,
  };
}

function redactAll(redactor: Redactor, exchanges: CapturedExchange[]): CapturedExchange[] {
  for (const e of exchanges) redactor.learn(e);
  return exchanges.map((e) => redactor.redact(e));
}

test('gives the same token the same placeholder across exchanges and places, and another export another one', () => {
  const exchanges = [
    http('/a?token=query-secret-1&x=1', [['Authorization', 'Bearer bearer-secret-1']]),
    http('/b', [['X-Echo', 'seen query-secret-1 here']], '{"t":"bearer-secret-1"}'),
  ];
  const first = redactAll(new Redactor(), exchanges);
  const placeholder = /token=(redacted-[0-9a-f]{16})&x=1$/.exec(first[0].flow.request.path)![1];
  assert.equal(first[1].flow.request.headers[0][1], `seen ${placeholder} here`);
  const bearer = first[0].flow.request.headers[0][1].slice('Bearer '.length);
  assert.equal(Buffer.from(first[1].flow.response!.body).toString(), `{"t":"${bearer}"}`);
  assert.equal(first[1].flow.response!.headers[0][1], String(first[1].flow.response!.body.length), 'Content-Length follows the body');
  assert.equal(first[1].flow.response!.size, first[1].flow.response!.body.length);
  const second = redactAll(new Redactor(), exchanges);
  assert.notEqual(second[0].flow.request.path, first[0].flow.request.path, 'placeholders are keyed per export, so they cannot be looked up');
});

test('keeps cookie names and Set-Cookie attributes, replacing values; short values are not searched elsewhere', () => {
  const [out] = redactAll(new Redactor(), [http('/', [['Cookie', 'session=cookie-secret-1; theme=dark']], 'dark mode')]);
  assert.match(out.flow.request.headers[0][1], /^session=redacted-[0-9a-f]{16}; theme=redacted-[0-9a-f]{16}$/);
  assert.match(out.flow.response!.headers[1][1], /^sid=redacted-[0-9a-f]{16}; Path=\/; Secure$/);
  assert.equal(Buffer.from(out.flow.response!.body).toString(), 'dark mode', '"dark" is too short to hunt for in bodies');
});

test('reports how many tokens were replaced and where', () => {
  const redactor = new Redactor();
  redactAll(redactor, [http('/a?token=query-secret-1', [['Authorization', 'Bearer bearer-secret-1']])]);
  const report = redactor.report();
  assert.equal(report.tokens, 3);
  assert.deepEqual(Object.keys(report.fields).sort(), ['Authorization header', 'Set-Cookie header', 'token= query']);
  assert.deepEqual(redactor.originals().sort(), ['bearer-secret-1', 'query-secret-1', 'set-cookie-secret-1']);
});
