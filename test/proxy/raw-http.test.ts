import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainResponse, requestHead, responseHead } from '../../proxy/raw-http.ts';

describe('raw HTTP heads', () => {
  it('writes a status line and headers in the order given', () => {
    assert.equal(responseHead(401, 'Token Please', ['WWW-Authenticate', 'Bearer', 'x-a', '1']), 'HTTP/1.1 401 Token Please\r\nWWW-Authenticate: Bearer\r\nx-a: 1\r\n\r\n');
    assert.equal(requestHead('GET', '/s', '1.1', ['Host', 'h']), 'GET /s HTTP/1.1\r\nHost: h\r\n\r\n');
  });

  it('makes the proxy own answer a one-line plain-text body that closes the connection', () => {
    const text = 'upstream h:1 did not answer within 60 s';
    assert.equal(
      plainResponse(504, text).toString(),
      `HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${text.length + 1}\r\nConnection: close\r\n\r\n${text}\n`,
    );
  });
});
