import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportProgressText, notYetTold, watched } from '../../inspector/ui/model/export-progress.ts';
import type { ExportProgressView } from '../../model/types.ts';

const told = (phase: ExportProgressView['phase'], done: number, total = 10_000): ExportProgressView => ({ key: 'k', phase, done, total });

test('each phase says its counts, with its own rate and time left counted from when it was first told', () => {
  let watch = watched(notYetTold, told('reading', 500), 1_000);
  assert.equal(exportProgressText(watch, 1_000), 'Reading 500 of 10,000 exchanges for the tokens they carry…');
  watch = watched(watch, told('reading', 4_500), 2_000);
  assert.equal(exportProgressText(watch, 2_000), 'Reading 4,500 of 10,000 exchanges for the tokens they carry, 4,000 a second, about 1.38 s left…');
  watch = watched(watch, told('writing', 500), 3_000);
  assert.equal(exportProgressText(watch, 3_000), 'Redacting and writing 500 of 10,000 exchanges…', 'a new phase has no rate yet');
  watch = watched(watch, told('writing', 2_500), 5_000);
  assert.equal(exportProgressText(watch, 5_000), 'Redacting and writing 2,500 of 10,000 exchanges, 1,000 a second, about 7.50 s left…');
});

test('before the first word, when done and when the export failed', () => {
  assert.equal(exportProgressText(notYetTold, 0), 'Starting the export…');
  assert.equal(exportProgressText(watched(notYetTold, told('done', 1, 1), 0), 0), 'Exported 1 exchange; the file is downloading.');
  const failed = { ...told('failed', 0, 0), error: 'No exchange has id 9; select rows that are stored.' };
  assert.equal(exportProgressText(watched(notYetTold, failed, 0), 0), 'No exchange has id 9; select rows that are stored.');
});
