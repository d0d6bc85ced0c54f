import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exchangeKind } from '../../proxy/http.ts';
import {
  closedPort,
  header,
  pairs,
  payload,
  request,
  selfSignedCertificate,
  startHarness,
  startHttpsUpstream,
  startHttpUpstream,
  type Harness,
  type Upstream,
} from './fixtures.ts';

/** What the upstream saw of each request. */
interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

describe('forwarding HTTP exchanges', () => {
  let upstream: Upstream<http.Server>;
  let harness: Harness;
  const seen: Seen[] = [];
  /** Per path, what the upstream answers; the default echoes the body back. */
  const answers = new Map<string, (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void>();

  before(async () => {
    upstream = await startHttpUpstream((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        seen.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body });
        const answer = answers.get(req.url!.split('?')[0]!);
        if (answer) return answer(req, body, res);
        res.writeHead(200, ['Content-Type', 'application/x-protobuf', 'Content-Length', String(body.length)]);
        res.end(body);
      });
    });
    harness = await startHarness(upstream.url);
  });
  after(async () => {
    await harness.proxy.close(100);
    await upstream.close();
  });

  it('returns the upstream body byte for byte for binary bodies of every size, and taps both bodies as sent', async () => {
    for (const size of [0, 1, 300, 70_000, 5 * 1024 * 1024]) {
      const body = payload(size, size);
      const endedBefore = harness.recording.ended.length;
      const res = await request(`${harness.url}/exec`, {
        method: 'POST',
        headers: ['Content-Type', 'application/x-protobuf', 'Content-Length', String(size)],
        body,
      });
      assert.equal(res.status, 200);
      assert.ok(res.body.equals(body), `response body of ${size} bytes differs`);
      assert.ok(seen.at(-1)!.body.equals(body), `request body of ${size} bytes differs upstream`);
      const flow = await harness.recording.endedFlow(endedBefore);
      assert.equal(flow.kind, 'exec');
      assert.ok(Buffer.from(flow.request.body).equals(body));
      assert.equal(flow.request.size, size);
      assert.ok(Buffer.from(flow.response!.body).equals(body));
      assert.equal(flow.response!.size, size);
      assert.equal(flow.error, null);
    }
  });

  it('forwards a chunked upload of unknown length unchanged', async () => {
    const parts = [payload(1000, 1), payload(20_000, 2), payload(3, 3)];
    const res = await request(`${harness.url}/upload`, { method: 'PUT', headers: ['Transfer-Encoding', 'chunked'], body: parts });
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(Buffer.concat(parts)));
    assert.equal(header(seen.at(-1)!.rawHeaders, 'transfer-encoding'), 'chunked');
  });

  it('sends every path and method to the upstream, query included', async () => {
    for (const [method, path] of [['GET', '/'], ['DELETE', '/a/b?c=d&e'], ['OPTIONS', '/exec'], ['PATCH', '/ws-not-upgraded']] as const) {
      const res = await request(`${harness.url}${path}`, { method });
      assert.equal(res.status, 200);
      assert.equal(seen.at(-1)!.method, method);
      assert.equal(seen.at(-1)!.url, path);
    }
  });

  it('keeps request headers in order with their spelling and duplicates, and sets Host to the upstream', async () => {
    const sent = ['Host', 'ca2.example.com', 'X-Trace', 'one', 'authorization', 'Bearer abc', 'x-trace', 'two', 'Cookie', 'a=1', 'cookie', 'b=2', 'Content-Length', '0'];
    await request(`${harness.url}/headers`, { headers: sent });
    const got = pairs(seen.at(-1)!.rawHeaders).filter(([name]) => name.toLowerCase() !== 'connection');
    assert.deepEqual(got, [
      ['Host', new URL(upstream.url).host],
      ['X-Trace', 'one'],
      ['authorization', 'Bearer abc'],
      ['x-trace', 'two'],
      ['Cookie', 'a=1'],
      ['cookie', 'b=2'],
      ['Content-Length', '0'],
    ]);
    const flow = harness.recording.ended.at(-1)!;
    assert.deepEqual(flow.request.headers.slice(0, sent.length / 2), pairs(sent), 'the tap records the headers the client sent');
  });

  it('adds no X-Forwarded or Via headers', async () => {
    await request(`${harness.url}/plain`);
    const names = pairs(seen.at(-1)!.rawHeaders).map(([name]) => name.toLowerCase());
    assert.ok(!names.some((n) => n.startsWith('x-forwarded') || n === 'via' || n === 'forwarded'), names.join(', '));
  });

  it('drops hop-by-hop request headers and those Connection names', async () => {
    await request(`${harness.url}/hop`, { headers: ['Connection', 'keep-alive, X-Hop', 'X-Hop', 'secret', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'X-End', 'kept'] });
    const names = pairs(seen.at(-1)!.rawHeaders).map(([name]) => name);
    assert.ok(!names.includes('X-Hop') && !names.includes('Keep-Alive') && !names.includes('TE'), names.join(', '));
    assert.ok(names.includes('X-End'));
  });

  it('returns status, reason phrase and response headers as the upstream sent them', async () => {
    const sentHeaders = ['Set-Cookie', 'a=1; Path=/', 'X-Custom', 'one', 'set-cookie', 'b=2', 'x-custom', 'two', 'Date', 'Tue, 01 Jan 2030 00:00:00 GMT', 'Content-Length', '5'];
    answers.set('/teapot', (_req, _body, res) => {
      res.sendDate = false;
      res.writeHead(418, 'Short And Stout', sentHeaders);
      res.end('hello');
    });
    const res = await request(`${harness.url}/teapot`);
    assert.equal(res.status, 418);
    assert.equal(res.statusMessage, 'Short And Stout');
    const got = pairs(res.rawHeaders).filter(([name]) => !['connection', 'keep-alive'].includes(name.toLowerCase()));
    assert.deepEqual(got, pairs(sentHeaders));
    assert.equal(res.body.toString(), 'hello');
    const flow = harness.recording.ended.at(-1)!;
    assert.equal(flow.response!.status, 418);
    assert.equal(flow.response!.statusMessage, 'Short And Stout');
    assert.deepEqual(flow.response!.headers.filter(([n]) => n !== 'Connection' && n !== 'Keep-Alive'), pairs(sentHeaders));
  });

  it('streams a chunked response and passes 204, 304 and HEAD answers without a body', async () => {
    const parts = [payload(10, 1), payload(50_000, 2)];
    answers.set('/chunked', (_req, _body, res) => {
      res.writeHead(200, ['Content-Type', 'application/octet-stream']);
      res.write(parts[0]);
      setTimeout(() => res.end(parts[1]), 10);
    });
    answers.set('/empty', (req, _body, res) => {
      res.writeHead(req.method === 'HEAD' ? 200 : Number(req.headers['x-status']), ['Content-Length', req.method === 'HEAD' ? '42' : '0']);
      res.end();
    });
    const chunked = await request(`${harness.url}/chunked`);
    assert.ok(chunked.body.equals(Buffer.concat(parts)));
    assert.equal(header(chunked.rawHeaders, 'transfer-encoding'), 'chunked');
    for (const status of ['204', '304']) {
      const res = await request(`${harness.url}/empty`, { headers: ['X-Status', status] });
      assert.equal(res.status, Number(status));
      assert.equal(res.body.length, 0);
    }
    const head = await request(`${harness.url}/empty`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(header(head.rawHeaders, 'content-length'), '42');
  });

  it('classifies POST /exec as exec and everything else as http', () => {
    const kind = (method: string, url: string) => exchangeKind({ method, url } as http.IncomingMessage);
    assert.equal(kind('POST', '/exec'), 'exec');
    assert.equal(kind('POST', '/exec?x=1'), 'exec');
    assert.equal(kind('GET', '/exec'), 'http');
    assert.equal(kind('POST', '/exec/more'), 'http');
    assert.equal(kind('POST', '/'), 'http');
  });

  it('tells the tap a request started before its body has arrived', async () => {
    let release!: () => void;
    const client = http.request({ host: '127.0.0.1', port: harness.proxy.address.port, path: '/slow-upload', method: 'POST', headers: { 'Content-Length': '4' }, agent: false });
    const startedBefore = harness.recording.started.length;
    const done = new Promise<void>((resolve) => (release = resolve));
    client.on('response', (res) => res.resume().on('end', release));
    client.write('ab');
    await harness.recording.until(() => harness.recording.started.length > startedBefore);
    const started = harness.recording.started.at(-1)!;
    assert.equal(started.request.path, '/slow-upload');
    assert.equal(started.response, null);
    assert.equal(started.endedAt, null);
    client.end('cd');
    await done;
  });

  it('forwards bodies above maxBody whole and taps them truncated with their full size', async () => {
    const small = await startHarness(upstream.url, { maxBody: 1000 });
    try {
      const body = payload(250_000, 7);
      const res = await request(`${small.url}/exec`, { method: 'POST', headers: ['Content-Length', String(body.length)], body });
      assert.ok(res.body.equals(body));
      assert.ok(seen.at(-1)!.body.equals(body));
      const flow = await small.recording.endedFlow();
      assert.equal(flow.request.truncated, true);
      assert.equal(flow.request.size, body.length);
      assert.ok(Buffer.from(flow.request.body).equals(body.subarray(0, 1000)));
      assert.equal(flow.response!.truncated, true);
      assert.equal(flow.response!.size, body.length);
      assert.ok(Buffer.from(flow.response!.body).equals(body.subarray(0, 1000)));
    } finally {
      await small.proxy.close(100);
    }
  });

  it('keeps forwarding when a tap listener throws, and reports the listener once per hook', async () => {
    const throwing = {
      requestStarted() {
        throw new Error('boom');
      },
      exchangeEnded() {
        throw new Error('boom');
      },
    };
    const { RecordingTap } = await import('./fixtures.ts');
    const broken = await startHarness(upstream.url, {}, new RecordingTap(throwing));
    try {
      for (let i = 0; i < 3; i++) {
        const body = payload(100, i);
        const res = await request(`${broken.url}/exec`, { method: 'POST', headers: ['Content-Length', '100'], body });
        assert.ok(res.body.equals(body));
      }
      await broken.recording.until(() => broken.recording.ended.length === 3);
      assert.equal(broken.recording.listenerErrors.length, 2);
      assert.match(broken.recording.listenerErrors[0]!, /requestStarted failed and was skipped \(traffic still flows\): boom/);
    } finally {
      await broken.proxy.close(100);
    }
  });
});

describe('when the upstream fails', () => {
  it('answers 502 with a one-line reason when the upstream is down', async () => {
    const port = await closedPort();
    const harness = await startHarness(`http://127.0.0.1:${port}`);
    try {
      const res = await request(`${harness.url}/exec`, { method: 'POST', headers: ['Content-Length', '3'], body: Buffer.from('abc') });
      assert.equal(res.status, 502);
      assert.equal(header(res.rawHeaders, 'content-type'), 'text/plain; charset=utf-8');
      assert.equal(res.body.toString(), `upstream 127.0.0.1:${port} refused the connection; is the server running? (ECONNREFUSED)\n`);
      const flow = await harness.recording.endedFlow();
      assert.deepEqual(flow.error, { kind: 'upstream-unreachable', message: res.body.toString().trim() });
      assert.equal(flow.response, null);
      assert.ok(flow.endedAt! >= flow.startedAt);
    } finally {
      await harness.proxy.close(100);
    }
  });

  it('answers 504 when the upstream does not answer in time', async () => {
    const upstream = await startHttpUpstream(() => undefined);
    const harness = await startHarness(upstream.url, { upstreamTimeoutMs: 150 });
    try {
      const res = await request(`${harness.url}/exec`, { method: 'POST', headers: ['Content-Length', '0'] });
      assert.equal(res.status, 504);
      assert.equal(res.body.toString(), `upstream ${new URL(upstream.url).host} did not answer within 150 ms\n`);
      const flow = await harness.recording.endedFlow();
      assert.equal(flow.error!.kind, 'upstream-timeout');
    } finally {
      await harness.proxy.close(100);
      await upstream.close();
    }
  });

  it('answers 502 when the upstream resets the connection before answering', async () => {
    const upstream = await startHttpUpstream((req) => req.socket.destroy());
    const harness = await startHarness(upstream.url);
    try {
      const res = await request(`${harness.url}/exec`, { method: 'POST', headers: ['Content-Length', '0'] });
      assert.equal(res.status, 502);
      assert.match(res.body.toString(), /^upstream 127\.0\.0\.1:\d+ closed the connection before answering \(.+\)\n$/);
      const flow = await harness.recording.endedFlow();
      assert.equal(flow.error!.kind, 'upstream-reset');
    } finally {
      await harness.proxy.close(100);
      await upstream.close();
    }
  });

  for (const upgrade of ['Upgrade: h2c\r\nConnection: Upgrade\r\n', '']) {
    it(`answers 502 when the upstream switches protocols on a request that asked for no upgrade${upgrade ? '' : ' (a 101 without Upgrade)'}`, async () => {
      const upstream = await startHttpUpstream((req) => req.socket.write(`HTTP/1.1 101 Switching Protocols\r\n${upgrade}\r\n`));
      const harness = await startHarness(upstream.url);
      try {
        const res = await request(`${harness.url}/exec`, { method: 'POST', headers: ['Content-Length', '0'] });
        assert.equal(res.status, 502);
        const sentence = `upstream ${new URL(upstream.url).host} answered 101 Switching Protocols to a request that asked for no upgrade; a client cannot be given that`;
        assert.equal(res.body.toString(), `${sentence}\n`);
        const flow = await harness.recording.endedFlow();
        assert.deepEqual(flow.error, { kind: 'proxy-error', message: sentence });
      } finally {
        await harness.proxy.close(100);
        await upstream.close();
      }
    });
  }

  it('cuts the client off and records the reset when the upstream dies in the middle of a body', async () => {
    const upstream = await startHttpUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100000' });
      res.write(payload(1000));
      setTimeout(() => res.socket!.destroy(), 20);
    });
    const harness = await startHarness(upstream.url);
    try {
      await assert.rejects(request(`${harness.url}/big`), /aborted|ECONNRESET|socket hang up/);
      const flow = await harness.recording.endedFlow();
      assert.equal(flow.error!.kind, 'upstream-reset');
      assert.match(flow.error!.message, /in the middle of the response/);
      assert.equal(flow.response!.status, 200);
      assert.equal(flow.response!.size, 1000);
    } finally {
      await harness.proxy.close(100);
      await upstream.close();
    }
  });
});

describe('when the client goes away', () => {
  it('records a client that aborts mid-request as client-aborted and aborts the upstream request', async () => {
    let upstreamSaw!: (outcome: string) => void;
    const upstreamOutcome = new Promise<string>((resolve) => (upstreamSaw = resolve));
    let gotData!: () => void;
    const dataArrived = new Promise<void>((resolve) => (gotData = resolve));
    const upstream = await startHttpUpstream((req) => {
      req.once('data', () => gotData());
      req.on('end', () => upstreamSaw('complete'));
      req.on('close', () => upstreamSaw(req.complete ? 'complete' : 'aborted'));
      req.on('error', () => undefined);
    });
    const harness = await startHarness(upstream.url);
    try {
      const socket = net.connect(harness.proxy.address.port, '127.0.0.1');
      socket.write('POST /exec HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'a'.repeat(10));
      await dataArrived;
      socket.destroy();
      assert.equal(await upstreamOutcome, 'aborted');
      const flow = await harness.recording.endedFlow();
      assert.equal(flow.error!.kind, 'client-aborted');
      assert.equal(flow.error!.message, 'the client aborted the request before sending all of it');
      assert.equal(flow.request.size, 10);
    } finally {
      await harness.proxy.close(100);
      await upstream.close();
    }
  });

  it('survives a client that resets while a large response is being written (EPIPE/ECONNRESET)', async () => {
    let upstreamClosedEarly!: (early: boolean) => void;
    const upstreamResult = new Promise<boolean>((resolve) => (upstreamClosedEarly = resolve));
    const upstream = await startHttpUpstream((req, res) => {
      if (req.url !== '/download') return res.end('ok');
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      const chunk = payload(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 500) {
          sent++;
          if (!res.write(chunk)) return;
        }
        res.end();
      };
      res.on('drain', pump);
      res.on('close', () => upstreamClosedEarly(!res.writableFinished));
      pump();
    });
    const harness = await startHarness(upstream.url);
    try {
      const socket = net.connect(harness.proxy.address.port, '127.0.0.1');
      socket.write('GET /download HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => socket.once('data', resolve));
      socket.resetAndDestroy();
      assert.equal(await upstreamResult, true, 'the upstream response is cut short too');
      const flow = await harness.recording.endedFlow();
      assert.equal(flow.error!.kind, 'client-aborted');
      assert.equal(flow.error!.message, 'the client closed the connection before the response was complete');
      // The proxy still serves others.
      const ok = await request(`${harness.url}/after`).catch((err) => err);
      assert.equal(ok.status, 200);
    } finally {
      await harness.proxy.close(100);
      await upstream.close();
    }
  });
});

describe('an https upstream', () => {
  const cert = selfSignedCertificate();

  it('is rejected with a 502 naming the certificate problem and the fix unless insecure', async () => {
    const upstream = await startHttpsUpstream((_req, res) => res.end('secret'), cert);
    const harness = await startHarness(upstream.url);
    try {
      const res = await request(`${harness.url}/exec`);
      assert.equal(res.status, 502);
      assert.match(res.body.toString(), /^upstream 127\.0\.0\.1:\d+ presented a certificate that failed verification: .*self-signed.*; pass --insecure to accept it\n$/);
      const flow = await harness.recording.endedFlow();
      assert.equal(flow.error!.kind, 'upstream-tls');
    } finally {
      await harness.proxy.close(100);
      await upstream.close();
    }
  });

  it('is forwarded with --insecure, with SNI naming the upstream host', async () => {
    let servername: string | false | null | undefined;
    const upstream = await startHttpsUpstream((req, res) => {
      servername = (req.socket as import('node:tls').TLSSocket).servername;
      res.setHeader('X-Secure', 'yes');
      req.pipe(res);
    }, cert);
    const port = new URL(upstream.url).port;
    const harness = await startHarness(`https://localhost:${port}`, { insecure: true });
    try {
      const body = payload(100_000, 9);
      const res = await request(`${harness.url}/exec`, { method: 'POST', headers: ['Content-Length', String(body.length)], body });
      assert.equal(res.status, 200);
      assert.equal(header(res.rawHeaders, 'x-secure'), 'yes');
      assert.ok(res.body.equals(body));
      assert.equal(servername, 'localhost');
    } finally {
      await harness.proxy.close(100);
      await upstream.close();
    }
  });
});
