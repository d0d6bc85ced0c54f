// What an import reads its file on: a thread of its own reads the file (parses a HAR
// file, reads a capture's rows) and makes each exchange a flow (capture/import-thread.ts),
// while the caller's thread records the flows as before (capture/record.ts, recordFlows:
// decoded, checked, left out when already there, written) and checks the file's values
// meanwhile. Reading was about half of an import's time, on a machine with a core to spare.
// The flows come through a pipe (capture/flow-pipe.ts).

import { statSync } from 'node:fs';
import { startPipe } from './flow-pipe.ts';
import { openSource, readsInPlace, refuseImpossibleValues, type Source } from './sources.ts';

/** What the reading thread is started with, besides its end of the pipe. */
export interface ImportJob {
  file: string;
}

/** What the reading thread says once it has opened the file: Source's descriptorSet and total; rows: Source.rows, for the writer to check the values of meanwhile. */
export interface ImportOpened {
  descriptorSet: Uint8Array | null;
  total: number | null;
  rows: string | null;
}

const threadEntry = new URL('./import-thread.ts', import.meta.url);

/**
 * Files smaller than this are read on the command's thread: starting a thread (about half a
 * second here) costs more than reading one of them there saves. A bug report's HAR or capture
 * of a few hundred exchanges imported in 1.2-1.4 s through a thread, 0.65 s without.
 */
export const PIPE_MIN_BYTES = 32 * 2 ** 20;

/**
 * Opens `file` (a HAR file, a capture or a recording) to import, as openSource does, its
 * flows read on a thread of its own once it has PIPE_MIN_BYTES. Throws SourceError with the
 * sentence openSource would. A thread that cannot start, or ends before it has opened the
 * file, is told to `notice`, and the file is read on this thread (openSource). `entry` and
 * `minBytes` are for tests.
 */
export async function openImport(file: string, notice: (line: string) => void, { entry = threadEntry, minBytes = PIPE_MIN_BYTES } = {}): Promise<Source> {
  if (sizeOf(file) < minBytes) return openSource(file);
  const piped = await openPiped(file, entry);
  if ('source' in piped) return piped.source;
  notice(`${file} could not be read on a thread of its own (${piped.failed}), so it is read on this one.`);
  return openSource(file);
}

/** The file's size, or 0 when it cannot be looked at: openSource then says why. */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The file opened on a thread of its own; or, when that thread did not get as far as opening it, why. */
async function openPiped(file: string, entry: URL): Promise<{ source: Source } | { failed: string }> {
  // Checked while the thread starts, where the rows are read as they are; else once it has made its copy of them.
  let checked = false;
  const started = await startPipe<ImportOpened>(entry, { file } satisfies ImportJob, {
    stopped: `${file}: the thread reading it stopped without saying why; nothing from this file was imported.`,
    meanwhile: () => {
      checked = readsInPlace(file);
      if (checked) refuseImpossibleValues(file, file);
    },
  });
  if ('failed' in started) return started;
  const { pipe, opened } = started;
  try {
    if (opened.rows !== null && !checked) refuseImpossibleValues(file, opened.rows);
  } catch (err) {
    pipe.close();
    throw err;
  }
  return {
    source: {
      descriptorSet: opened.descriptorSet,
      flows: pipe.flows(),
      total: opened.total,
      ...(opened.total === null && { share: () => pipe.share ?? 0 }),
      rows: opened.rows,
      close: () => pipe.close(),
    },
  };
}
