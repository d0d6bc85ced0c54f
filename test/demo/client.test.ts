// runDemoClient against the demo server, seen through a small counting forwarder
// (http-proxy) so the test knows every answer that crossed the wire.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';
import { runDemoClient } from '../../demo/client.ts';
import type { ServerResponse } from '../../demo/messages.ts';
import { decodeMessage } from '../../demo/schema.ts';
import { startDemoServer, type DemoServer } from '../../demo/server.ts';

interface Seen {
  errors: Map<string, number[]>;
  operations: Set<string>;
  plainPaths: Set<string>;
  upgrades: number;
}

/** Forwards everything to `target` and notes what each /exec answer said. */
async function countingForwarder(target: URL): Promise<{ url: URL; seen: Seen; close(): Promise<void> }> {
  const seen: Seen = { errors: new Map(), operations: new Set(), plainPaths: new Set(), upgrades: 0 };
  const proxy = httpProxy.createProxyServer({ target: target.origin, ws: true });
  proxy.on('error', () => undefined);
  proxy.on('proxyRes', (res, req) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      if (req.url !== '/exec') return void seen.plainPaths.add(`${req.method} ${req.url} ${res.statusCode}`);
      const response = decodeMessage<ServerResponse>('ca2.ServerResponse', Buffer.concat(chunks));
      for (const error of response.errors ?? []) seen.errors.set(error, [...(seen.errors.get(error) ?? []), res.statusCode!]);
      for (const [service, value] of Object.entries(response)) {
        if (service !== 'trx' && service !== 'errors') for (const operation of Object.keys(value as object)) seen.operations.add(`${service}.${operation}`);
      }
    });
  });
  const server = createServer((req, res) => proxy.web(req, res));
  server.on('upgrade', (req, socket, head) => {
    seen.upgrades += 1;
    proxy.ws(req, socket, head);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`),
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      proxy.close();
    },
  };
}

function watchUnhandled(): { failures: unknown[]; stop(): void } {
  const failures: unknown[] = [];
  const note = (err: unknown) => failures.push(err);
  process.on('unhandledRejection', note);
  process.on('uncaughtException', note);
  return {
    failures,
    stop() {
      process.off('unhandledRejection', note);
      process.off('uncaughtException', note);
    },
  };
}

/** A log that can be waited on for a line. */
function recordingLog(): { lines: string[]; log(line: string): void; until(pattern: RegExp): Promise<void> } {
  const lines: string[] = [];
  const waiting: [RegExp, () => void][] = [];
  return {
    lines,
    log(line) {
      lines.push(line);
      for (const [pattern, done] of waiting) if (pattern.test(line)) done();
    },
    until(pattern) {
      if (lines.some((l) => pattern.test(l))) return Promise.resolve();
      return new Promise((resolve) => waiting.push([pattern, resolve]));
    },
  };
}

// The default rate limit (20 per second per token), which a burst exceeds however slow the machine.
const options = { eventDelayMs: 5 };

describe('one pass of the demo client', { timeout: 60_000 }, () => {
  let server: DemoServer;
  let forwarder: Awaited<ReturnType<typeof countingForwarder>>;
  const output = recordingLog();
  let unhandled: ReturnType<typeof watchUnhandled>;

  before(async () => {
    server = await startDemoServer(options);
    forwarder = await countingForwarder(server.url);
    unhandled = watchUnhandled();
    await runDemoClient({ baseUrl: forwarder.url, pauseMs: 0, log: output.log });
    unhandled.stop();
  });
  after(async () => {
    await forwarder.close();
    await server.close();
  });

  test('meets every kind of ServerError the demo can give, each with its HTTP status', () => {
    assert.deepEqual(
      new Map([...forwarder.seen.errors].map(([error, statuses]) => [error, [...new Set(statuses)]])),
      new Map([
        ['SE_TOKEN_REQUIRED_ERROR', [200]],
        ['SE_EXPIRED_TOKEN_ERROR', [200]],
        ['SE_TRX_REQUIRED_ERROR', [200]],
        ['SE_INTERNAL_SERVER_ERROR', [200]],
        ['SE_RATE_LIMIT_EXCEEDED_ERROR', [200]],
        ['SE_INVALID_TOKEN_ERROR', [200]],
      ]),
    );
  });

  test('makes the everyday calls of every service', () => {
    for (const operation of [
      'auth.login', 'auth.logout', 'users.me', 'instances.list', 'instances.create', 'instances.delete', 'billing.balance',
      'billing.payments', 'billing.top_up', 'servers.list', 'domains.check', 'ssh.list', 'referrals.info', 'utils.ping', 'utils.version',
    ]) {
      assert.ok(forwarder.seen.operations.has(operation), `${operation} answered`);
    }
  });

  test('asks for plain paths beside /exec', () => {
    assert.deepEqual([...forwarder.seen.plainPaths].sort(), ['GET / 200', 'GET /health 200']);
  });

  test('opens the WebSocket three times: refused with the stale token, signed in, and after the offline gap', () => {
    assert.equal(forwarder.seen.upgrades, 3);
    const line = output.lines.find((l) => l.startsWith("WebSocket with yesterday's token"));
    assert.match(line ?? '', /SE_EXPIRED_TOKEN_ERROR, closed code 4001/);
    assert.ok(output.lines.includes('WebSocket reconnected; reloading what may have changed'));
  });

  test('receives the events its changes cause', () => {
    assert.ok(output.lines.some((l) => /^ws event: api-2 RUNNING$/.test(l)), output.lines.join('\n'));
    assert.ok(output.lines.some((l) => /^top-up of \$10\.00 settled$/.test(l)));
    assert.ok(output.lines.some((l) => /^ws event: .* is (available|taken)$/.test(l)));
  });

  test('ends without unhandled errors and says so in its log', () => {
    assert.deepEqual(unhandled.failures, []);
    assert.equal(output.lines.at(-1), 'session 1 ends');
  });
});

describe('the demo client when things end', { timeout: 60_000 }, () => {
  let server: DemoServer;
  before(async () => {
    server = await startDemoServer(options);
  });
  after(() => server.close());

  test('an abort in the middle of a looping session resolves and closes its WebSockets', async () => {
    const controller = new AbortController();
    const output = recordingLog();
    const running = runDemoClient({ baseUrl: server.url, loop: true, pauseMs: 5, signal: controller.signal, log: output.log });
    await output.until(/^WebSocket authenticated/);
    controller.abort();
    await running;
    for (;;) {
      const { webSockets } = (await (await fetch(new URL('/health', server.url))).json()) as { webSockets: number };
      if (webSockets === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  test('a server that is not there is logged once and the session stops', async () => {
    const gone = await startDemoServer();
    await gone.close();
    const output = recordingLog();
    await runDemoClient({ baseUrl: gone.url, pauseMs: 0, log: output.log });
    assert.equal(output.lines.at(-1), `cannot reach ${gone.url.origin} (ECONNREFUSED); stopping`);
  });

  test('a proxy that answers plain text instead of a ServerResponse is logged with its status and first line', async () => {
    const broken: Server = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('upstream refused the connection (ECONNREFUSED)\n');
    });
    broken.listen(0, '127.0.0.1');
    await once(broken, 'listening');
    const output = recordingLog();
    const base = new URL(`http://127.0.0.1:${(broken.address() as AddressInfo).port}/`);
    await runDemoClient({ baseUrl: base, pauseMs: 0, log: output.log });
    broken.close();
    assert.match(output.lines.at(-1) ?? '', /answered HTTP 502 with "upstream refused the connection \(ECONNREFUSED\)"; stopping$/);
  });

  test('in loop mode, losing the server mid-session is logged and retried until aborted, without unhandled errors', async () => {
    const doomed = await startDemoServer(options);
    const controller = new AbortController();
    const output = recordingLog();
    const unhandled = watchUnhandled();
    const running = runDemoClient({ baseUrl: doomed.url, loop: true, pauseMs: 5, signal: controller.signal, log: output.log });
    await output.until(/^WebSocket authenticated/);
    await doomed.close();
    await output.until(/; starting again in 2 s$/);
    controller.abort();
    await running;
    unhandled.stop();
    assert.deepEqual(unhandled.failures, []);
  });
});
