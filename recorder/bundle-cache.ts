// The bundles threads start from (recorder/threads.ts), kept on disk between processes.
// Bundling an entry with esbuild took 230-260 ms of every process that starts a thread (an
// import's reading thread, an export's, the proxy's recorder), to make the same bundle
// each time. A bundle is used again only while everything it was made from is as it was:
// each file it was made from (each source it took in, and those threads.ts adds: the
// bundling code, esbuild's package.json, the installed packages' list) of the same content.
// The file's first line keeps what it was made from, by content hash.
//
// The cache is the package's own (node_modules/.cache/ca2-inspector/, where tools keep
// such things): nothing outside it is written. Processes that start the same thread at
// once (the test suite runs many) each write a whole file under a name of their own and
// rename it into place, so a reader never sees half of one. (One may rename a newer bundle
// in between another's check and its thread's start: that thread then runs the newer
// sources, whole.) A cache that cannot be read, written or trusted is no error: the entry
// is bundled as it was before there was one.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface Bundle {
  /** The bundle's code, as a thread runs it. */
  code: string;
  /** Every file the code was made from, by path, with the content hash it was made from (`contentHash`). */
  inputs: Record<string, string>;
}

interface Stamp {
  /** The code's content hash, by which a damaged file is told. */
  code: string;
  inputs: Record<string, string>;
}

const HEADER = '// ca2-inspector thread bundle ';

/** A file's content hash as a Bundle's inputs give it; a file that is not there has one too, so that its coming is a change. */
export async function contentHash(file: string): Promise<string> {
  try {
    return contentHashOf(await readFile(file));
  } catch {
    return 'absent';
  }
}

/**
 * The code of `entry`'s bundle, and the file it is kept in: the cached one while nothing it
 * was made from changed, else one `make` makes, kept in `dir` for next time (file null when
 * it could not be written).
 */
export async function cachedBundle(entry: URL, dir: URL, make: () => Promise<Bundle>): Promise<{ code: string; file: URL | null }> {
  const file = new URL(`${contentHashOf(Buffer.from(entry.href)).slice(0, 24)}.mjs`, dir);
  const kept = await stillValid(file);
  if (kept !== null) return { code: kept, file };
  const made = await make();
  return { code: made.code, file: (await keep(file, dir, { code: contentHashOf(Buffer.from(made.code)), inputs: made.inputs }, made.code)) ? file : null };
}

/** The kept bundle's code, or null when there is none, it is damaged, or anything it was made from has changed. */
async function stillValid(file: URL): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  const newline = text.indexOf('\n');
  if (!text.startsWith(HEADER) || newline < 0) return null;
  let stamp: Stamp;
  try {
    stamp = JSON.parse(text.slice(HEADER.length, newline)) as Stamp;
  } catch {
    return null;
  }
  const code = text.slice(newline + 1);
  if (stamp.code !== contentHashOf(Buffer.from(code)) || typeof stamp.inputs !== 'object' || stamp.inputs === null) return null;
  const inputs = Object.entries(stamp.inputs);
  const now = await Promise.all(inputs.map(([input]) => contentHash(input)));
  return inputs.every(([, was], i) => now[i] === was) ? code : null;
}

/** Writes the bundle whole under a name of its own and renames it into place; false when it could not be. */
async function keep(file: URL, dir: URL, stamp: Stamp, code: string): Promise<boolean> {
  const temporary = `${fileURLToPath(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temporary, `${HEADER}${JSON.stringify(stamp)}\n${code}`, { flag: 'wx' });
    await rename(temporary, file);
    return true;
  } catch {
    await rm(temporary, { force: true }).catch(() => undefined);
    return false;
  }
}

export function contentHashOf(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
