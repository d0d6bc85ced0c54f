import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientAborted, endedByShutdown, upstreamFailure, upstreamTimeout } from '../../proxy/errors.ts';

const err = (code: string, message = `${code} happened`) => Object.assign(new Error(message), { code });

describe('upstreamFailure', () => {
  it('calls a refused, unresolvable or unroutable upstream unreachable, with 502', () => {
    assert.deepEqual(upstreamFailure(err('ECONNREFUSED'), 'h:1'), {
      kind: 'upstream-unreachable',
      status: 502,
      message: 'upstream h:1 refused the connection; is the server running? (ECONNREFUSED)',
    });
    assert.equal(upstreamFailure(err('ENOTFOUND'), 'nope.example').message, 'upstream nope.example could not be resolved; check the host name in --upstream (ENOTFOUND)');
    assert.equal(upstreamFailure(err('EHOSTUNREACH'), 'h').kind, 'upstream-unreachable');
  });

  it('names a certificate problem and the --insecure fix', () => {
    const failure = upstreamFailure(err('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'h:443');
    assert.equal(failure.kind, 'upstream-tls');
    assert.equal(failure.message, 'upstream h:443 presented a certificate that failed verification: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT); pass --insecure to accept it');
    assert.equal(upstreamFailure(err('ERR_TLS_CERT_ALTNAME_INVALID'), 'h').kind, 'upstream-tls');
  });

  it('suggests the scheme may be wrong when the TLS handshake itself fails', () => {
    const failure = upstreamFailure(err('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), 'h:80');
    assert.equal(failure.kind, 'upstream-tls');
    assert.match(failure.message, /is it really https\?$/);
  });

  it('tells a reset before the answer from one in the middle of it', () => {
    assert.equal(upstreamFailure(err('ECONNRESET'), 'h').message, 'upstream h closed the connection before answering (ECONNRESET)');
    assert.equal(upstreamFailure(err('ECONNRESET'), 'h', true).message, 'upstream h closed the connection in the middle of the response (ECONNRESET)');
    assert.equal(upstreamFailure(new Error('socket hang up'), 'h').kind, 'upstream-reset');
  });

  it('reports a response that is not HTTP, and anything else, as a proxy error with the code', () => {
    assert.equal(upstreamFailure(err('HPE_INVALID_CONSTANT', 'Expected HTTP/'), 'h').message, 'upstream h sent a response that is not valid HTTP: Expected HTTP/ (HPE_INVALID_CONSTANT)');
    assert.deepEqual(upstreamFailure(new Error('odd'), 'h'), { kind: 'proxy-error', status: 502, message: 'forwarding to upstream h failed: odd' });
  });
});

describe('the other failures', () => {
  it('answers 504 for a timeout, in seconds or milliseconds', () => {
    assert.deepEqual(upstreamTimeout('h', 60_000), { kind: 'upstream-timeout', status: 504, message: 'upstream h did not answer within 60 s' });
    assert.equal(upstreamTimeout('h', 1500, true).message, 'upstream h stopped sending the response for 1.5 s');
    assert.equal(upstreamTimeout('h', 150).message, 'upstream h did not answer within 150 ms');
  });

  it('words client aborts and shutdown ends as sentences', () => {
    assert.deepEqual(clientAborted('left'), { kind: 'client-aborted', message: 'the client left' });
    assert.equal(endedByShutdown(5000).message, 'the proxy was shutting down and ended the exchange after waiting 5 s');
  });
});
