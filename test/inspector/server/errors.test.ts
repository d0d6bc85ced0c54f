// The inspector's one error handler, on a real express app over a real listener: a
// UserError answers its own status and sentence, anything else a 500 that names a bug.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { errorHandler } from '../../../inspector/server/errors.ts';
import { UserError } from '../../../model/user-error.ts';
import { FilterError } from '../../../model/filter-error.ts';

let server: Server;
let base: string;
const logged: string[] = [];

before(async () => {
  const app = express();
  app.get('/user', () => {
    throw new UserError('No exchange has id 7.', { status: 404 });
  });
  app.get('/filter', () => {
    throw new FilterError(3, 'expected a value after "op:"');
  });
  app.get('/bug', async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'x')");
  });
  app.post('/json', express.json(), (_req, res) => void res.json({}));
  app.use(errorHandler((line) => logged.push(line)));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a UserError answers its status with its sentence and its details', async () => {
  const missing = await fetch(`${base}/user`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: 'No exchange has id 7.' });
  const filter = await fetch(`${base}/filter`);
  assert.equal(filter.status, 400);
  assert.deepEqual(await filter.json(), { position: 3, error: 'at 3: expected a value after "op:"' });
  assert.deepEqual(logged, [], 'a user mistake is not logged as a failure');
});

test('an error nobody foresaw is a 500 that names it a bug, and is logged', async () => {
  const res = await fetch(`${base}/bug`);
  assert.equal(res.status, 500);
  const { error } = (await res.json()) as { error: string };
  assert.match(error, /^The inspector failed to answer: Cannot read properties of undefined \(reading 'x'\) \(this is a bug in ca2-inspector; run with CA2_INSPECTOR_DEBUG=1/);
  assert.equal(logged.length, 1);
  assert.match(logged[0], /^inspector: GET \/bug failed: Cannot read/);
});

test('a body the JSON parser refuses is a 400 sentence, not a bug', async () => {
  const res = await fetch(`${base}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: string }).error, /^The request body is not JSON that POST \/json can take: /);
});
