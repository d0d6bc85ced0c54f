import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateUiToken, isLoopback, tokenMatches } from '../../../inspector/server/auth.ts';

test('treats 127.0.0.0/8, ::1 and localhost as loopback and nothing else', () => {
  for (const host of ['127.0.0.1', '127.4.5.6', '::1', '[::1]', 'localhost']) assert.equal(isLoopback(host), true, host);
  for (const host of ['0.0.0.0', '::', '192.168.1.2', '128.0.0.1', 'example.com']) assert.equal(isLoopback(host), false, host);
});

test('accepts only the exact token, whatever the type of what is given', () => {
  assert.equal(tokenMatches('sesame', 'sesame'), true);
  for (const given of ['sesam', 'sesame!', '', undefined, 42, ['sesame']]) assert.equal(tokenMatches('sesame', given), false, String(given));
});

test('generates tokens that differ and fit in a URL as they are', () => {
  const a = generateUiToken();
  assert.notEqual(a, generateUiToken());
  assert.equal(encodeURIComponent(a), a);
  assert.ok(a.length >= 20);
});
