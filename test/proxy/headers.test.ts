import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  extraHandshakeResponseHeaders,
  forwardedRequestHeaders,
  forwardedResponseHeaders,
  forwardedUpgradeHeaders,
  headerList,
  webSocketHandshakeHeaders,
} from '../../proxy/headers.ts';

describe('forwardedRequestHeaders', () => {
  it('sets Host to the upstream in place, keeping the spelling and order of everything else', () => {
    assert.deepEqual(
      forwardedRequestHeaders(['X-A', '1', 'host', 'client.example', 'x-a', '2', 'Content-Length', '3'], 'api.example.com:8443'),
      ['X-A', '1', 'host', 'api.example.com:8443', 'x-a', '2', 'Content-Length', '3'],
    );
  });

  it('adds Host first when the client sent none', () => {
    assert.deepEqual(forwardedRequestHeaders(['X-A', '1'], 'up:1'), ['Host', 'up:1', 'X-A', '1']);
  });

  it('drops hop-by-hop headers and what Connection lists, but never the body framing', () => {
    const raw = [
      'Connection', 'keep-alive, X-Secret, Content-Length',
      'Keep-Alive', 'timeout=5',
      'Proxy-Connection', 'keep-alive',
      'TE', 'trailers',
      'Upgrade', 'h2c',
      'X-Secret', 's',
      'Transfer-Encoding', 'chunked',
      'Content-Length', '10',
      'Authorization', 'Bearer t',
    ];
    assert.deepEqual(forwardedRequestHeaders(raw, 'up'), ['Host', 'up', 'Transfer-Encoding', 'chunked', 'Content-Length', '10', 'Authorization', 'Bearer t']);
  });
});

describe('forwardedResponseHeaders', () => {
  it('drops hop-by-hop headers and Transfer-Encoding, keeping duplicates such as Set-Cookie', () => {
    assert.deepEqual(
      forwardedResponseHeaders(['Set-Cookie', 'a=1', 'Connection', 'close', 'Transfer-Encoding', 'chunked', 'set-cookie', 'b=2']),
      ['Set-Cookie', 'a=1', 'set-cookie', 'b=2'],
    );
  });
});

describe('forwardedUpgradeHeaders', () => {
  it('keeps Connection, Upgrade and the headers they name, with Host set to the upstream', () => {
    assert.deepEqual(
      forwardedUpgradeHeaders(['Host', 'c', 'Connection', 'Upgrade, HTTP2-Settings', 'Upgrade', 'h2c', 'HTTP2-Settings', 'AAA', 'Keep-Alive', '5'], 'up'),
      ['Host', 'up', 'Connection', 'Upgrade, HTTP2-Settings', 'Upgrade', 'h2c', 'HTTP2-Settings', 'AAA'],
    );
  });
});

describe('webSocketHandshakeHeaders', () => {
  it('keeps the client headers with their spelling and leaves the handshake ones to ws', () => {
    const raw = [
      'Host', 'proxy:8080',
      'Connection', 'Upgrade',
      'Upgrade', 'websocket',
      'Sec-WebSocket-Key', 'k',
      'Sec-WebSocket-Version', '13',
      'Sec-WebSocket-Protocol', 'a',
      'Sec-WebSocket-Extensions', 'permessage-deflate',
      'Authorization', 'Bearer t',
      'Origin', 'https://app',
      'Cookie', 'a=1',
      'cookie', 'b=2',
      'X-Tag', 'one',
      'x-tag', 'two',
    ];
    assert.deepEqual(webSocketHandshakeHeaders(raw), { Authorization: 'Bearer t', Origin: 'https://app', Cookie: 'a=1; b=2', 'X-Tag': 'one, two' });
  });
});

describe('extraHandshakeResponseHeaders', () => {
  it('returns the upstream 101 headers that are not part of the handshake, as header lines', () => {
    assert.deepEqual(
      extraHandshakeResponseHeaders(['Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Accept', 'x', 'Set-Cookie', 's=1', 'X-Up', 'y']),
      ['Set-Cookie: s=1', 'X-Up: y'],
    );
  });
});

describe('headerList', () => {
  it('pairs a flat raw header array', () => {
    assert.deepEqual(headerList(['A', '1', 'a', '2']), [['A', '1'], ['a', '2']]);
  });
});
