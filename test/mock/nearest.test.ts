import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeDifferences, describeOperationFields, fieldDifferences } from '../../mock/nearest.ts';

test('names each differing leaf by its path, with the recorded and the live value', () => {
  const recorded = { instances: { list: { states: [2], page: { limit: 5 } } } };
  const live = { instances: { list: { states: [3, 4], label: 'x' } } };
  assert.deepEqual(fieldDifferences(recorded, live), [
    { path: 'instances.list.states[0]', recorded: 2, live: 3 },
    { path: 'instances.list.states[1]', recorded: undefined, live: 4 },
    { path: 'instances.list.page', recorded: { limit: 5 }, live: undefined },
    { path: 'instances.list.label', recorded: undefined, live: 'x' },
  ]);
  assert.deepEqual(fieldDifferences(recorded, structuredClone(recorded)), []);
});

test('describes differences and the operation\'s fields as the terminal line does', () => {
  assert.equal(describeDifferences([{ path: 'instances.list.states[0]', recorded: 2, live: 3 }]), 'instances.list.states[0] (2 → 3)');
  assert.equal(
    describeDifferences(fieldDifferences({ a: 1, b: 2, c: 3 }, { a: 0, b: 0, c: 0, d: 'x' }), 2),
    'a (1 → 0), b (2 → 0) and 2 more',
  );
  assert.equal(describeDifferences([{ path: 'x', recorded: undefined, live: true }]), 'x (absent → true)');
  assert.equal(describeOperationFields({ states: [3], name: 'web' }), 'states=[3], name="web"');
  assert.equal(describeOperationFields({}), 'no fields set');
  assert.equal(describeOperationFields(undefined), 'no fields set');
});
