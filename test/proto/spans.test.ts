import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCodec } from '../../proto/codec.ts';
import { CODEC_SCHEMA, codecFixtures } from './codec-fixtures.ts';

// The decoder makes spans in two lists sized before the decode (why: proto/paths.ts); what a
// decode returns must be its own plain lists, the same as the JSON they are sent as.
test('spans are two plain lists, a path and a byte range for each field, equal to their JSON, for every fixture with either schema', () => {
  for (const codec of [createCodec({ protoPaths: [CODEC_SCHEMA] }), createCodec()]) {
    for (const fixture of codecFixtures()) {
      const { spans } = codec.decode(fixture.type, fixture.bytes, { spans: true });
      assert.ok(spans !== undefined && spans.paths.length > 0, fixture.name);
      assert.deepEqual(Object.keys(spans), ['paths', 'ranges'], fixture.name);
      assert.equal(spans.ranges.length, 2 * spans.paths.length, fixture.name);
      assert.deepStrictEqual(spans, JSON.parse(JSON.stringify(spans)), fixture.name);
    }
  }
});

test("a decode's spans stay as they were through the decodes after it", () => {
  const codec = createCodec({ protoPaths: [CODEC_SCHEMA] });
  const [first, ...rest] = codecFixtures();
  const kept = codec.decode(first.type, first.bytes, { spans: true }).spans!;
  const copy = JSON.parse(JSON.stringify(kept));
  for (const fixture of rest) codec.decode(fixture.type, fixture.bytes, { spans: true });
  assert.deepStrictEqual(kept, copy);
});
