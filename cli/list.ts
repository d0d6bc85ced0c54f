// `ca2-inspector list`: recorded exchanges from a database file, newest first, one line each
// (or JSON), selected with the same filter language as the inspector.

import { JournalView } from '../recorder/journal-view.ts';
import { keptNotice } from '../recorder/tap-journal.ts';
import { formatLine } from '../recorder/printer.ts';
import { DEFAULT_DB } from './defaults.ts';
import { parseCommandArgs } from './args.ts';
import { checkFilter } from './options.ts';
import { openRecording } from './schema-option.ts';
import { UserError } from '../model/user-error.ts';

const help = `usage: ca2-inspector list [--db FILE] [--proto PATH]... [--filter FILTER] [--limit N] [--json]

  --db FILE        the recording to read (default ./${DEFAULT_DB})
  --proto PATH     the schema to read it with instead of the one the file keeps; rows
                   another schema summarised are answered with this one (the file is
                   only read)
  --filter FILTER  the inspector's filter language, e.g. "service:auth error:any"
  --limit N        at most N exchanges, newest first (default 50)
  --json           one JSON summary per line instead of the terminal line
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('list', argv, {
    db: { type: 'string' },
    proto: { type: 'string', multiple: true },
    filter: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new UserError(`--limit takes a whole number above 0; got "${values.limit}".`);
  const filter = checkFilter(values.filter);
  // Journaled exchanges are listed from the journal itself: a burst its run left (or is still storing) costs no copy of the file first.
  const journals: JournalView[] = [];
  const recording = openRecording(values.db ?? DEFAULT_DB, values.proto ?? [], 'list', (store, codec, abandoned) => {
    const view = new JournalView(store, codec, { abandoned });
    if (!view.readsInPlace()) return false;
    store.attachJournalFlows(view);
    journals.push(view);
    return true;
  });
  const { store } = recording;
  try {
    let before: number | undefined;
    let left = limit;
    while (left > 0) {
      const page = store.listExchanges({ limit: Math.min(left, 1000), before, filter });
      for (const item of page.items) process.stdout.write((values.json ? JSON.stringify(item) : formatLine(item)) + '\n');
      left -= page.items.length;
      if (page.next === null || page.items.length === 0) break;
      before = page.next;
    }
  } finally {
    recording.close();
  }
  // As a reader that stores the journal says it: rows another ca2-inspector wrote are left as written.
  for (const { version, rows, calls } of journals.flatMap((view) => view.kept())) process.stderr.write(`ca2-inspector: ${keptNotice(store.file, version, rows, calls)}\n`);
  return 0;
}
