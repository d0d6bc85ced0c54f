// --unmatched forward:URL: a request the recording cannot answer goes to a real server,
// through the proxy's own upstream connection pool and header rules, and its answer comes
// back as sent.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { upstreamFailure } from '../proxy/errors.ts';
import { forwardedRequestHeaders, forwardedResponseHeaders } from '../proxy/headers.ts';
import { Upstream } from '../proxy/upstream.ts';

export class Forwarder {
  private readonly upstream: Upstream;

  constructor(readonly url: URL) {
    this.upstream = new Upstream(url, false);
  }

  forward(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const out = this.upstream.request(req.method ?? 'POST', req.url ?? '/', forwardedRequestHeaders(req.rawHeaders, this.upstream.host));
    out.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardedResponseHeaders(answer.rawHeaders));
      answer.pipe(res);
    });
    out.on('error', (err) => {
      if (res.headersSent) return void res.destroy();
      const text = `${upstreamFailure(err, this.upstream.host).message}\n`;
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    out.end(body);
  }

  close(): void {
    this.upstream.close();
  }
}
