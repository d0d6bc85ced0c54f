// The HAR reader walks a file entry by entry: it must hand over exactly what JSON.parse
// makes of the whole document's log.entries (the oracle), across the pieces it reads the
// file in, and refuse what JSON.parse refuses.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarReader } from '../../capture/har-read.ts';
import { SourceError } from '../../capture/source-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-har-read-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function entriesOf(text: string | Buffer): unknown[] {
  const file = join(dir, `${files++}.har`);
  writeFileSync(file, text);
  const reader = HarReader.open(file);
  try {
    return [...reader.entries()];
  } finally {
    reader.close();
  }
}

test('hands over what JSON.parse makes of log.entries, whatever the document holds around them and however it is spaced', () => {
  const text = fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', 'é', '\u{1F600}', '{', ']', ',', ':', ' ') });
  const value = fc.letrec((tie) => ({
    json: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), text, fc.array(tie('json'), { maxLength: 3 }), fc.dictionary(text, tie('json'), { maxKeys: 3 })),
  })).json;
  fc.assert(
    fc.property(fc.array(value, { maxLength: 5 }), value, fc.constantFrom(undefined, 1, '\t'), fc.boolean(), (entries, other, space, entriesFirst) => {
      const log = entriesFirst ? { entries, version: '1.2', other } : { version: '1.2', other, entries };
      const document = JSON.stringify({ first: other, log, last: [other] }, null, space);
      assert.deepEqual(entriesOf(document), JSON.parse(document).log.entries);
    }),
    { numRuns: 500 },
  );
});

test('reads entries larger than a piece of the file, and strings and escapes that straddle pieces', () => {
  const big = 'x'.repeat(1 << 20);
  const entries = [{ a: `${big}\\"` }, { b: `"${'\\'.repeat(7)}` + 'y'.repeat((1 << 20) - 3) }, { c: ['é'.repeat(700_000)] }];
  const document = `\uFEFF${JSON.stringify({ log: { entries } })}`;
  assert.deepEqual(entriesOf(Buffer.from(document)), entries, 'a byte order mark before the document is let be');
});

test('finds where each string of an entry ends wherever its escapes fall, near its start or past the first bytes', () => {
  // Escaped quotes and backslashes at every place from the first byte of a string to past the 32 the reader looks at one by one.
  const strings = Array.from({ length: 70 }, (_, i) => ['"', '\\', '\\"', '\\\\', '"\\'].map((tail) => `${'x'.repeat(i)}${tail}`)).flat();
  const entries = strings.map((string) => ({ [string]: [string, { [string]: string }] }));
  for (const space of [undefined, 1]) {
    const document = JSON.stringify({ log: { entries } }, null, space);
    assert.deepEqual(entriesOf(document), entries);
  }
});

test('reads the entries of a pretty-printed file in runs, the same as one by one: across pieces, past an entry larger than a run, and with newlines and closes escaped in strings', () => {
  const tricky = ['\n   },\n   {', '"},', '\\', 'é\u{1F600}'];
  const entries = Array.from({ length: 3000 }, (_, i) => ({
    index: i,
    text: tricky[i % tricky.length]!.repeat(1 + (i % 7)),
    nested: { list: [{ deeper: i }, []], empty: {} },
    ...(i === 1500 && { large: 'z'.repeat(200_000) }),
  }));
  for (const space of [1, 2, '\t']) {
    const document = JSON.stringify({ log: { version: '1.2', entries }, after: { x: [{ y: 1 }] } }, null, space);
    assert.deepEqual(entriesOf(document), entries, `spaced with ${JSON.stringify(space)}`);
    assert.deepEqual(entriesOf(document.replaceAll('\n', '\r\n')), entries, `with CRLF, spaced with ${JSON.stringify(space)}`);
  }
});

test('reads entries one by one from the first run that ends at a close that is not an entry\'s (a file indented otherwise)', () => {
  // The first entry closes as "\n }"; inside the last one, a nested object closes the same way.
  const document = '{"log":{"entries":[\n {"a":1\n },\n {"b":2\n },\n {"e":{"f":1\n },\n "g":2}\n]}}';
  assert.deepEqual(entriesOf(document), JSON.parse(document).log.entries);
  // Where it is wrong, the walk says: in the last entry.
  const wrong = document.replace('"g":2', '"g":2,');
  assert.throws(() => entriesOf(wrong), (err: Error) => err instanceof SourceError && err.message.includes(`in the value at byte ${wrong.indexOf('{"e"')})`));
});

test('refuses what JSON.parse refuses, and a document without log.entries, in one sentence', () => {
  const refused = (text: string, sentence: RegExp) =>
    assert.throws(() => entriesOf(text), (err: Error) => err instanceof SourceError && sentence.test(err.message), text);
  for (const text of ['<html>', '', '{"log": {"entries": [1, 2,]}}', '{"log": {"entries": [{"a": 1}]}} {}', '{"log": {"entries": [{"a": tru}]}}', '{"log": {"entries": [{"a": "x}]}}']) {
    assert.throws(() => JSON.parse(text));
    refused(text, /: not JSON \(.+\); a HAR file is the JSON that "Save all as HAR" or an export writes\.$/);
  }
  for (const text of ['{"log": {}}', '[1, 2]', '{"log": {"entries": {}}}', '"entries"']) refused(text, /: log\.entries is missing, so this is not a HAR file; pass a \.har file or a capture\.$/);
  refused('{"log": {"entries": [], "entries": []}}', /: log\.entries appears twice; keep one, nothing from this file was imported\.$/);
  assert.deepEqual(entriesOf('{"log":{"entries":[]}}'), []);
});
