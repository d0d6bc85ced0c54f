import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCodec } from '../../proto/codec.ts';
import { CODEC_SCHEMA, codecFixtures } from './codec-fixtures.ts';

// Spans come from a constructor rather than a literal (why: proto/paths.ts); a reader must
// still get plain objects, the same as the JSON they are sent as.
test('every span is a plain object of path, start and end, equal to its JSON, for every fixture with either schema', () => {
  for (const codec of [createCodec({ protoPaths: [CODEC_SCHEMA] }), createCodec()]) {
    for (const fixture of codecFixtures()) {
      const { spans } = codec.decode(fixture.type, fixture.bytes, { spans: true });
      assert.ok(spans !== undefined && spans.length > 0, fixture.name);
      for (const span of spans) {
        assert.equal(Object.getPrototypeOf(span), Object.prototype, fixture.name);
        assert.deepEqual(Object.keys(span), ['path', 'start', 'end'], fixture.name);
      }
      assert.deepStrictEqual(spans, JSON.parse(JSON.stringify(spans)), fixture.name);
    }
  }
});
