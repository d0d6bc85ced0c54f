// POST /api/messages/check on a real inspector server set up as `open` sets it up (a
// recording, the codec, no proxy): the message editor's check as the user types. Sizes are
// checked against protobufjs encoding the same message itself.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInspectorServer, type InspectorServer } from '../../../inspector/server/app.ts';
import type { MessageCheckAnswer, MessageCheckRequest } from '../../../model/types.ts';
import { Store } from '../../../storage/store.ts';
import { ClientRequest, codec } from '../../intercept/exec-fixtures.ts';

describe('POST /api/messages/check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-message-check-'));
  const token = 'sesame';
  let store: Store;
  let server: InspectorServer;
  let url: string;

  before(async () => {
    store = Store.open(join(dir, 't.sqlite'));
    server = await startInspectorServer({
      store, host: '127.0.0.1', port: 0, token, log: () => undefined, export: { codec, toolVersion: 'test' }, readOnly: { file: join(dir, 't.sqlite') },
    });
    url = `http://127.0.0.1:${server.address.port}/api/messages/check`;
  });
  after(async () => {
    await server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const check = async (body: MessageCheckRequest): Promise<MessageCheckAnswer> => {
    const res = await post(body);
    assert.equal(res.status, 200);
    return (await res.json()) as MessageCheckAnswer;
  };

  test('answers the size of a message that fits, as protobufjs encodes it', async () => {
    const json = { trx: 'ABEiMw==', billing: { top_up: { amount: '424242', currency: 'CURRENCY_EUR', card_token: 'tok_1' } } };
    const expected = ClientRequest.encode(ClientRequest.fromObject({ trx: json.trx, billing: { topUp: { amount: '424242', currency: 2, cardToken: 'tok_1' } } })).finish().length;
    assert.deepEqual(await check({ type: 'ClientRequest', json }), { ok: true, bytes: expected });
  });

  test('names the field of an int64 given as a word, an unknown field name and an enum name that does not exist', async () => {
    assert.deepEqual(await check({ type: 'ClientRequest', json: { billing: { top_up: { amount: 'lots' } } } }), {
      ok: false,
      error: 'The message does not fit ClientRequest: billing.top_up.amount: expected a 64-bit integer (a number or a decimal string), got "lots".',
    });
    assert.deepEqual(await check({ type: 'ClientRequest', json: { tokn: 'x' } }), {
      ok: false,
      error: 'The message does not fit ClientRequest: tokn: no field named "tokn" in ca2.ClientRequest.',
    });
    const answer = await check({ type: 'ServerResponse', json: { errors: ['SE_NOPE'] } });
    assert.equal(answer.ok, false);
    assert.match((answer as { error: string }).error, /^The message does not fit ServerResponse: errors\[0\]: "SE_NOPE" is not a value of this enum; use one of SE_UNKNOWN_ERROR, /);
  });

  test('encodes over the original bytes: a field known only by number keeps its bytes, and is checked like any other', async () => {
    const known = { trx: Buffer.from('0011', 'hex'), token: 't', billing: { balance: {} } };
    // Field 99, varint 7 written in three bytes as some encoders do: kept only when copied from the original.
    const unknown = Buffer.from([0x98, 0x06, 0x87, 0x80, 0x00]);
    const original = Buffer.concat([ClientRequest.encode(ClientRequest.fromObject(known)).finish(), unknown]);
    const edited = { trx: 'ABE=', token: 'tt', billing: { balance: {} }, 99: 7 };
    const editedKnown = ClientRequest.encode(ClientRequest.fromObject({ ...known, token: 'tt' })).finish().length;
    assert.deepEqual(await check({ type: 'ClientRequest', json: edited, base64: original.toString('base64') }), { ok: true, bytes: editedKnown + unknown.length });
    assert.deepEqual(await check({ type: 'ClientRequest', json: edited }), { ok: true, bytes: editedKnown + 3 }, 'without the original, 99 is written anew');
    const unfit = await check({ type: 'ClientRequest', json: { ...edited, 99: [true] }, base64: original.toString('base64') });
    assert.equal(unfit.ok, false);
    assert.match((unfit as { error: string }).error, /^The message does not fit ClientRequest: 99\[0\]: /);
  });

  test('answers 400 and a sentence to a request that is not a check', async () => {
    const cases: [unknown, string][] = [
      [{ type: 'ClientReqest', json: {} }, 'type must be one of ClientRequest, ServerResponse, WsAuth, WsEvent, not "ClientReqest".'],
      [{ json: {} }, 'type must be one of ClientRequest, ServerResponse, WsAuth, WsEvent, not missing.'],
      [{ type: 'WsEvent' }, 'json is missing: send the decoded WsEvent to check.'],
      [{ type: 'WsAuth', json: {}, base64: 'AB' }, 'base64 is not base64 text (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters); send the bytes the edit is encoded over, or leave it out.'],
      [{ type: 'WsAuth', json: {}, bytes: 3 }, '"bytes" is not part of a message check; send { "type": "ClientRequest" | "ServerResponse" | "WsAuth" | "WsEvent", "json": <decoded message>, "base64"?: "<original bytes>" }.'],
      [[], 'The body must be a JSON object: { "type": "ClientRequest" | "ServerResponse" | "WsAuth" | "WsEvent", "json": <decoded message>, "base64"?: "<original bytes>" }.'],
    ];
    for (const [body, error] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(await res.json(), { error });
    }
  });

  test('is refused without the token, from another origin or site, and under a foreign Host', async () => {
    const body = { type: 'ServerResponse', json: {} };
    const own = await post(body, { origin: `http://127.0.0.1:${server.address.port}`, 'sec-fetch-site': 'same-origin' });
    assert.deepEqual([own.status, await own.json()], [200, { ok: true, bytes: 0 }], 'the inspector itself');
    const noToken = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(noToken.status, 401);
    assert.equal((await post(body, { origin: 'http://evil.example' })).status, 403);
    assert.equal((await post(body, { 'sec-fetch-site': 'cross-site' })).status, 403);
    const foreignHost = await new Promise<number>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(
        { host: '127.0.0.1', port: server.address.port, path: '/api/messages/check', method: 'POST', setHost: false,
          headers: { host: `evil.example:${server.address.port}`, authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (res) => (res.resume(), resolve(res.statusCode!)),
      );
      req.on('error', reject);
      req.end(payload);
    });
    assert.equal(foreignHost, 403);
  });
});
