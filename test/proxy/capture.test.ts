import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BodyCapture, captureWhole } from '../../proxy/capture.ts';

describe('BodyCapture', () => {
  it('keeps everything under the limit, joined in order', () => {
    const capture = new BodyCapture(100);
    capture.add(Buffer.from('abc'));
    capture.add(Buffer.from('def'));
    assert.equal(Buffer.from(capture.bytes()).toString(), 'abcdef');
    assert.equal(capture.size, 6);
    assert.equal(capture.truncated, false);
  });

  it('keeps the first limit bytes of a larger body and counts all of it', () => {
    const capture = new BodyCapture(5);
    capture.add(Buffer.from('abc'));
    capture.add(Buffer.from('defgh'));
    capture.add(Buffer.from('ijk'));
    assert.equal(Buffer.from(capture.bytes()).toString(), 'abcde');
    assert.equal(capture.size, 11);
    assert.equal(capture.truncated, true);
  });

  it('hands back a single chunk without copying it', () => {
    const chunk = Buffer.from('only');
    const capture = new BodyCapture(10);
    capture.add(chunk);
    assert.equal(capture.bytes(), chunk);
  });

  it('is empty and not truncated for an empty body, and truncated for any byte over a zero limit', () => {
    assert.equal(new BodyCapture(10).bytes().length, 0);
    const none = new BodyCapture(0);
    none.add(Buffer.from('x'));
    assert.equal(none.bytes().length, 0);
    assert.equal(none.truncated, true);
    assert.equal(none.size, 1);
  });
});

describe('captureWhole', () => {
  it('returns a view of the first limit bytes of a message and its full size', () => {
    const data = Buffer.from('0123456789');
    assert.deepEqual(captureWhole(data, 20), { body: data, size: 10, truncated: false });
    const cut = captureWhole(data, 4);
    assert.equal(Buffer.from(cut.body).toString(), '0123');
    assert.equal(cut.body.buffer, data.buffer);
    assert.equal(cut.size, 10);
    assert.equal(cut.truncated, true);
  });
});
