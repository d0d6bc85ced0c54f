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
