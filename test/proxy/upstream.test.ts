import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Upstream } from '../../proxy/upstream.ts';

describe('Upstream', () => {
  it('uses the URL host as the Host header and its path as a prefix', () => {
    const upstream = new Upstream(new URL('https://api.example.com:8443/ca2/'), false);
    try {
      assert.equal(upstream.host, 'api.example.com:8443');
      assert.equal(upstream.secure, true);
      assert.equal(upstream.path('/exec?a=1'), '/ca2/exec?a=1');
      assert.deepEqual(upstream.webSocket('/ws'), {
        url: 'wss://api.example.com:8443/ca2/ws',
        tls: { rejectUnauthorized: true, servername: 'api.example.com' },
      });
    } finally {
      upstream.close();
    }
  });

  it('sends no SNI name for an address, and skips certificate checks only when insecure', () => {
    const upstream = new Upstream(new URL('https://127.0.0.1'), true);
    try {
      assert.deepEqual(upstream.webSocket('/ws').tls, { rejectUnauthorized: false });
      assert.equal(upstream.host, '127.0.0.1');
    } finally {
      upstream.close();
    }
  });

  it('maps http to ws and keeps a bare host path-free', () => {
    const upstream = new Upstream(new URL('http://localhost:9000'), false);
    try {
      assert.equal(upstream.webSocket('/ws?x').url, 'ws://localhost:9000/ws?x');
      assert.equal(upstream.path('/'), '/');
    } finally {
      upstream.close();
    }
  });

  it('refuses anything but http and https with a sentence', () => {
    assert.throws(() => new Upstream(new URL('ws://example.com/'), false), { message: 'upstream ws://example.com/ must start with http:// or https://' });
  });
});
