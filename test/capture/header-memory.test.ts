import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderMemory } from '../../capture/header-memory.ts';

test('remembers a header pair by name and value, and not another value of the same name', () => {
  const memory = new HeaderMemory<string>(10);
  memory.set('Host', 'a.example', 'seen');
  assert.equal(memory.get('Host', 'a.example'), 'seen');
  assert.equal(memory.get('Host', 'b.example'), undefined);
  assert.equal(memory.get('host', 'a.example'), undefined, 'names keep their case, as the headers do');
});

test('starts again once it holds its limit of distinct pairs, and a pair set again does not count twice', () => {
  const memory = new HeaderMemory<number>(3);
  memory.set('X-Id', '1', 1);
  memory.set('X-Id', '1', 1);
  memory.set('X-Id', '2', 2);
  memory.set('Date', 'today', 3);
  assert.equal(memory.get('X-Id', '1'), 1, 'three distinct pairs fit in a limit of three');
  memory.set('X-Id', '4', 4);
  assert.equal(memory.get('X-Id', '1'), undefined);
  assert.equal(memory.get('Date', 'today'), undefined);
  assert.equal(memory.get('X-Id', '4'), 4, 'the pair that went past the limit is remembered after the new start');
});
