import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCodec } from '../../proto/codec.ts';
import { execFacts, MAX_WS_PROBLEMS, responseType, WsFacts } from '../../proto/exchange-facts.ts';

const codec = createCodec();
const protobuf: [string, string][] = [['content-type', 'application/x-protobuf']];

describe('exchange facts', () => {
  test('of an /exec exchange: trx and errors from the envelopes, and the checks', () => {
    // ClientRequest { trx: 0102, auth {} } and ServerResponse { trx: 0103, errors: [SE_EXPIRED_TOKEN_ERROR] }
    const facts = execFacts(codec, {
      requestHeaders: protobuf,
      requestBody: new Uint8Array([0x0a, 2, 1, 2, 0x5a, 0]),
      status: 200,
      response: { headers: protobuf, body: new Uint8Array([0x0a, 2, 1, 3, 0x10, 5]) },
      at: 0,
    });
    assert.equal(facts.service, 'auth');
    assert.deepEqual(facts.errors, ['SE_EXPIRED_TOKEN_ERROR']);
    assert.ok(facts.problems.some((p) => /differs from request trx/.test(p)), facts.problems.join('; '));
  });

  test('does not decode a plain-text error page as a ServerResponse', () => {
    assert.equal(responseType('exec', [['content-type', 'text/plain']], new Uint8Array([1])), null);
    assert.equal(responseType('exec', [], new Uint8Array([1])), 'ServerResponse');
    assert.equal(responseType('ws', protobuf, new Uint8Array([1])), null);
  });

  test('of a WebSocket whose every frame is a problem: the first ones, then a count', () => {
    const ws = new WsFacts(codec);
    for (let seq = 0; seq < 300; seq++) ws.frame({ seq, direction: 'server', opcode: 1, body: new Uint8Array([0x41]), at: seq });
    assert.equal(ws.facts.problems.length, MAX_WS_PROBLEMS + 1);
    assert.equal(ws.facts.problems[MAX_WS_PROBLEMS], `and ${300 - MAX_WS_PROBLEMS} more problems in later frames`);
  });
});
