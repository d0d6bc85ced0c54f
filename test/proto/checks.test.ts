import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DecodeResult, MessageSummary } from '../../model/types.ts';
import { checkExec, WsConversationCheck } from '../../proto/checks.ts';
import { createCodec } from '../../proto/codec.ts';
import { encode, text } from './encode.ts';

const codec = createCodec();
const TRX = Uint8Array.from([0x9a, 0x1b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
const OTHER_TRX = Uint8Array.from([0x5f, 0x0c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);

/** The summary checkExec judges a request by. */
function request(fields: { trx?: Uint8Array; token?: string; service?: number }): MessageSummary {
  return codec.decode(
    'ClientRequest',
    encode([
      ...(fields.trx ? [{ number: 1, bytes: fields.trx }] : []),
      ...(fields.token ? [{ number: 2, bytes: text(fields.token) }] : []),
      { number: fields.service ?? 17, bytes: encode([{ number: 1, bytes: new Uint8Array(0) }]) },
    ]),
  ).summary;
}

function response(fields: { trx?: Uint8Array; errors?: number[] }): MessageSummary {
  return codec.decode(
    'ServerResponse',
    encode([...(fields.trx ? [{ number: 1, bytes: fields.trx }] : []), ...(fields.errors ?? []).map((error) => ({ number: 2, varint: error }))]),
  ).summary;
}

function event(fields: { errors?: number[]; billing?: boolean }): DecodeResult {
  return codec.decode('WsEvent', encode([...(fields.billing ? [{ number: 1, bytes: encode([{ number: 1, bytes: new Uint8Array(0) }]) }] : []), ...(fields.errors ?? []).map((error) => ({ number: 2, varint: error }))]));
}

const PROTOBUF = 'application/x-protobuf';

describe('checkExec', () => {
  test('a well-formed exchange has no problems', () => {
    assert.deepEqual(checkExec({ contentType: PROTOBUF, httpStatus: 200, request: request({ trx: TRX, token: 'tok' }), response: response({ trx: TRX }) }), []);
    assert.deepEqual(checkExec({ contentType: `${PROTOBUF}; charset=binary`, httpStatus: 200, request: request({ trx: TRX, token: 'tok' }), response: response({ trx: TRX, errors: [8] }) }), []);
  });

  test('a response trx that differs from the request trx is reported', () => {
    assert.deepEqual(checkExec({ contentType: PROTOBUF, httpStatus: 200, request: request({ trx: TRX, token: 't' }), response: response({ trx: OTHER_TRX }) }), [
      'response trx 5f0c0001-0203-0405-0607-08090a0b0c0d differs from request trx 9a1b0001-0203-0405-0607-08090a0b0c0d',
    ]);
    assert.deepEqual(checkExec({ contentType: PROTOBUF, httpStatus: 200, request: request({ trx: TRX, token: 't' }), response: response({}) }), [
      'response has no trx (request trx 9a1b0001-0203-0405-0607-08090a0b0c0d)',
    ]);
  });

  test('a request without trx, and a non-auth request without token, are reported', () => {
    assert.deepEqual(checkExec({ contentType: PROTOBUF, httpStatus: 200, request: request({ service: 16 }), response: response({ errors: [1] }) }), [
      'request without trx',
      'billing request without token',
    ]);
    assert.deepEqual(checkExec({ contentType: PROTOBUF, httpStatus: 200, request: request({ trx: TRX, service: 11 }), response: response({ trx: TRX }) }), [], 'auth needs no token');
  });

  test('HTTP status and ServerErrors that disagree are reported both ways', () => {
    assert.deepEqual(checkExec({ contentType: PROTOBUF, httpStatus: 500, request: request({ trx: TRX, token: 't' }), response: response({ trx: TRX, errors: [6] }) }), [
      'response carries SE_INTERNAL_SERVER_ERROR with HTTP status 500; ca2 sends errors with status 200',
    ]);
    assert.deepEqual(checkExec({ contentType: PROTOBUF, httpStatus: 503, request: request({ trx: TRX, token: 't' }), response: response({ trx: TRX }) }), [
      'HTTP status 503 with no ServerError in the response',
    ]);
  });

  test('a content type other than application/x-protobuf is reported', () => {
    const exchange = { httpStatus: 200, request: request({ trx: TRX, token: 't' }), response: response({ trx: TRX }) };
    assert.deepEqual(checkExec({ ...exchange, contentType: 'application/json' }), ['request content type is application/json, not application/x-protobuf']);
    assert.deepEqual(checkExec({ ...exchange, contentType: undefined }), ['request has no content type; ca2 expects application/x-protobuf']);
  });
});

describe('WsConversationCheck', () => {
  const auth = codec.decode('WsAuth', encode([{ number: 2, bytes: text('token') }]));
  const client = (decoded: DecodeResult | null, at = 0) => ({ direction: 'client' as const, opcode: 2, decoded, at });
  const server = (decoded: DecodeResult | null, at = 0) => ({ direction: 'server' as const, opcode: 2, decoded, at });

  test('WsAuth, an empty WsEvent, then events and a close by the client is the documented flow', () => {
    const check = new WsConversationCheck();
    assert.deepEqual(check.onFrame(client(auth)), []);
    assert.deepEqual(check.onFrame(server(event({}))), []);
    assert.deepEqual(check.onFrame(server(event({ billing: true }))), []);
    assert.deepEqual(check.onFrame({ direction: 'client', opcode: 9, decoded: null, at: 0 }), [], 'pings are fine');
    assert.deepEqual(check.onClose({ by: 'client', at: 0 }), []);
  });

  test('a 101 that selects none of the offered subprotocols is reported; one that selects one, or none offered, is fine', () => {
    const check = new WsConversationCheck();
    assert.deepEqual(check.onUpgrade({ offeredProtocols: ['chat', 'superchat'], selectedProtocol: undefined }), [
      "the client offered the subprotocols chat, superchat and the upstream's 101 selected none",
    ]);
    assert.deepEqual(check.onUpgrade({ offeredProtocols: ['chat'], selectedProtocol: 'chat' }), []);
    assert.deepEqual(check.onUpgrade({ offeredProtocols: [], selectedProtocol: undefined }), []);
  });

  test('an error event as the first frame followed by the server closing is the documented error flow', () => {
    const check = new WsConversationCheck();
    check.onFrame(client(auth));
    assert.deepEqual(check.onFrame(server(event({ errors: [4] }))), []);
    assert.deepEqual(check.onClose({ by: 'server', at: 0 }), []);
  });

  test('a first server frame that is not an empty WsEvent is reported', () => {
    const check = new WsConversationCheck();
    check.onFrame(client(auth));
    assert.deepEqual(check.onFrame(server(event({ billing: true }))), ['first server frame after WsAuth is not an empty WsEvent (it carries billing)']);
  });

  test('a client frame after WsAuth is reported', () => {
    const check = new WsConversationCheck();
    check.onFrame(client(auth));
    assert.deepEqual(check.onFrame(client(auth)), ['client frame after WsAuth; ca2 clients only send WsAuth']);
  });

  test('a server that keeps the connection open after an error event is reported once', () => {
    const sendsMore = new WsConversationCheck();
    sendsMore.onFrame(client(auth));
    sendsMore.onFrame(server(event({})));
    sendsMore.onFrame(server(event({ errors: [5] })));
    assert.deepEqual(sendsMore.onFrame(server(event({ billing: true }))), ['server kept the connection open after a WsEvent with errors; it sent another frame']);
    assert.deepEqual(sendsMore.onClose({ by: 'client', at: 0 }), []);

    const leftOpen = new WsConversationCheck();
    leftOpen.onFrame(client(auth));
    leftOpen.onFrame(server(event({ errors: [4] })));
    assert.deepEqual(leftOpen.onClose({ by: 'proxy', at: 0 }), ['server kept the connection open after a WsEvent with errors; the proxy closed it']);
  });

  test('text frames are reported: ca2 uses binary frames', () => {
    const check = new WsConversationCheck();
    assert.deepEqual(check.onFrame({ direction: 'client', opcode: 1, decoded: null, at: 0 }), ['text frame from the client; ca2 sends protobuf in binary frames']);
  });
});
