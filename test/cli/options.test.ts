import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostPort, parseSize, parseUpstream } from '../../cli/options.ts';
import { UserError } from '../../model/user-error.ts';

test('reads HOST:PORT, a bare port, and bracketed IPv6', () => {
  assert.deepEqual(parseHostPort('0.0.0.0:9000', '--listen'), { host: '0.0.0.0', port: 9000 });
  assert.deepEqual(parseHostPort('8080', '--listen'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseHostPort('[::1]:8081', '--ui'), { host: '::1', port: 8081 });
});

test('rejects a malformed address with a sentence naming the flag and the value', () => {
  assert.throws(() => parseHostPort('localhost', '--ui'), (err: Error) => err instanceof UserError && /--ui takes HOST:PORT.*"localhost"/.test(err.message));
  assert.throws(() => parseHostPort('h:70000', '--listen'), UserError);
});

test('reads sizes in bytes with binary units whatever their spelling', () => {
  assert.equal(parseSize('16MiB', '--max-body'), 16 * 1024 * 1024);
  assert.equal(parseSize('512kb', '--max-body'), 512 * 1024);
  assert.equal(parseSize('100', '--max-body'), 100);
  assert.throws(() => parseSize('lots', '--max-body'), /--max-body takes a size/);
});

test('takes http and https upstreams only', () => {
  assert.equal(parseUpstream('https://api.example.com').host, 'api.example.com');
  assert.throws(() => parseUpstream('ftp://x'), /http:\/\/ or https:\/\//);
  assert.throws(() => parseUpstream('not a url'), /--upstream takes a URL/);
});
