import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TextSearch } from '../../capture/text-search.ts';

/** The oracle: a regular expression alternating the texts, longest first, with the g flag. */
function byRegExp(texts: string[], text: string): [number, string][] {
  const unique = [...new Set(texts)].filter((t) => t.length > 0).sort((a, b) => b.length - a.length);
  if (unique.length === 0) return [];
  const pattern = new RegExp(unique.map((t) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'g');
  return [...text.matchAll(pattern)].map((m) => [m.index!, m[0]]);
}

const found = (texts: string[], text: string) => [...new TextSearch(texts).matches(text)].map((f): [number, string] => [f.index, f.text]);

test('finds what a regular expression alternating the texts, longest first, finds: place, text and order', () => {
  // A small alphabet, so that texts overlap, share beginnings and run into each other.
  const piece = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '.', 'é', '\u{1F600}'), minLength: 1, maxLength: 14 });
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), fc.array(fc.oneof(piece, fc.constantFrom('x', 'yy')), { maxLength: 30 }), (texts, parts) => {
      const text = parts.join('');
      assert.deepEqual(found(texts, text), byRegExp(texts, text));
    }),
    { numRuns: 3000 },
  );
});

test('finds the longest of texts that start alike, texts at the very start and end, and nothing in a text shorter than them', () => {
  const jwtLike = ['eyJhbGciOiJIUzI1NiJ9.one.sig', 'eyJhbGciOiJIUzI1NiJ9.one.sig-longer', 'eyJhbGciOiJIUzI1NiJ9.two.sig'];
  const text = 'eyJhbGciOiJIUzI1NiJ9.one.sig-longer and eyJhbGciOiJIUzI1NiJ9.two.sig';
  assert.deepEqual(found(jwtLike, text), [[0, jwtLike[1]], [40, jwtLike[2]]]);
  assert.deepEqual(found(jwtLike, 'eyJhbGci'), []);
  assert.deepEqual(found([], text), []);
});

test('skipping ahead over long texts finds what the regular expression finds, whatever the shortest text and wherever the search starts', () => {
  // Texts from a few characters up to past the widest window, over an alphabet small enough that they share blocks and overlap.
  const piece = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '+', '/', '\u{1F600}'), minLength: 3, maxLength: 40 });
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1, maxLength: 20 }), fc.array(fc.oneof(piece, fc.constantFrom('x', 'ab', 'bA+')), { maxLength: 40 }), fc.nat(), (texts, parts, start) => {
      const text = parts.join('');
      assert.deepEqual(found(texts, text), byRegExp(texts, text));
      const from = start % (text.length + 1);
      const first = byRegExp(texts, text.slice(from))[0];
      const next = new TextSearch(texts).next(text, from);
      assert.deepEqual(next && [next.index, next.text], first ? [first[0] + from, first[1]] : null);
    }),
    { numRuns: 3000 },
  );
});

test('finds texts that overlap, share their first window or end it alike, at the very start and end and side by side', () => {
  const texts = ['QUJDREVGR0hJSktM', 'QUJDREVGR0hJSktMTU5P', 'REVGR0hJSktMTU5PUFFS', 'xxxxxxxxxxxxxxxxGR0hJSktM'];
  const text = `QUJDREVGR0hJSktMTU5P${'z'.repeat(50)}xxxxxxxxxxxxxxxxxGR0hJSktMREVGR0hJSktMTU5PUFFSQUJDREVGR0hJSktM`;
  assert.deepEqual(found(texts, text), byRegExp(texts, text));
  assert.deepEqual(found(texts, text).map(([, t]) => t), [texts[1], texts[3], texts[2], texts[0]]);
  assert.deepEqual(found(texts, 'QUJDREVGR0hJSkt'), []);
});

test('tells apart forms that share all but their last characters, as JWTs of one user and the placeholders keeping their claims do', () => {
  const head = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c3JfMDAwMDAxIn0';
  const tokens = ['sig-one', 'sig-two', 'sig-one-longer'].map((sig) => `${head}.${sig}`);
  const text = `${head}.redactedXX ${head}.sig-onf ${head}.sig-one-longer ${head}.sig-two`;
  assert.deepEqual(found(tokens, text), byRegExp(tokens, text));
  assert.deepEqual(found(tokens, text).map(([, t]) => t), [tokens[2], tokens[1]]);
});
