// Worker threads that run one of our TypeScript modules. The main thread runs the sources
// through tsx, but a thread that registered tsx too would spend most of a second and
// 55-60 MB starting its own loader before our code ran. So each entry is bundled with
// esbuild (as the inspector's UI is) and the thread starts from that bundle, which is kept
// on disk for the next process while nothing it was made from changes (recorder/bundle-cache.ts).

import type { Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { cachedBundle, contentHash, contentHashOf, type Bundle } from './bundle-cache.ts';

/** Bundled code by entry, so that a thread started again (each inspector export has one) starts at once. */
const bundles = new Map<string, Promise<URL>>();

/** Starts a thread on `entry` (one of our .ts modules); it rejects only if the entry cannot be bundled, which is a bug. */
export async function startThread(entry: URL, options: Omit<WorkerOptions, 'eval'>): Promise<Worker> {
  const code = await bundled(entry);
  // The bundle needs no loader: a tsx the process was started with would cost the thread what bundling saves.
  return new Worker(code, { execArgv: process.execArgv.filter(withoutTsx()), ...options });
}

function bundled(entry: URL): Promise<URL> {
  let code = bundles.get(entry.href);
  if (!code) {
    code = threadBundle(entry);
    bundles.set(entry.href, code);
    // A failed bundle is not kept, so that the next thread tries again.
    code.catch(() => bundles.delete(entry.href));
  }
  return code;
}

/** Where bundles are kept between processes: the package's own cache. */
const CACHE = new URL('../node_modules/.cache/ca2-inspector/threads/', import.meta.url);

/** Files a bundle is made from besides its sources: how it is made (this code, and esbuild's version), and the packages it imports, as npm installed them. */
const MAKERS = [
  fileURLToPath(import.meta.url),
  fileURLToPath(new URL('./bundle-cache.ts', import.meta.url)),
  createRequire(import.meta.url).resolve('esbuild/package.json'),
  fileURLToPath(new URL('../node_modules/.package-lock.json', import.meta.url)),
];

/**
 * What a thread on `entry` starts from: the kept bundle's file, or a data: URL of the bundle
 * when the cache cannot be written. A file starts the thread sooner (190-210 ms to open a HAR
 * file on a thread, 240-560 ms from a data: URL of the same 390 KB). `cache` is for tests.
 */
export async function threadBundle(entry: URL, cache = CACHE): Promise<URL> {
  const { code, file } = await cachedBundle(entry, cache, () => bundleFresh(entry));
  return file ?? new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

/** Bundles under way: esbuild's service process is stopped when none is, rather than kept (20-35 MB) for the rest of the run. */
let building = 0;

async function bundleFresh(entry: URL): Promise<Bundle> {
  building += 1;
  try {
    return await bundleOnce(entry);
  } finally {
    building -= 1;
    if (building === 0) await (await import('esbuild')).stop();
  }
}

async function bundleOnce(entry: URL): Promise<Bundle> {
  // Loaded only to bundle (70-85 ms), which a kept bundle spares.
  const { build } = await import('esbuild');
  const loaded = new Map<string, string>();
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Node's own conditions and main field, so that a package resolves here as it would for Node.
    conditions: [],
    mainFields: ['main'],
    logLevel: 'silent',
    plugins: [asOnDisk(loaded)],
  });
  // The sources by the content they were bundled with, so that one edited meanwhile makes the kept bundle stale.
  const sources = Object.keys(result.metafile.inputs).map((input) => resolve(input));
  const files = [...sources, ...MAKERS];
  const hashes = await Promise.all(files.map((file) => loaded.get(file) ?? contentHash(file)));
  // Stack traces name the entry, not the cache's file or a data: URL hundreds of kilobytes long.
  const code = `${result.outputFiles[0]!.text}\n//# sourceURL=${entry.href}?bundled\n`;
  return { code, inputs: Object.fromEntries(files.map((file, i) => [file, hashes[i]!])) };
}

/** A pattern, not the words themselves: this module is bundled into threads that start threads, and the words would be replaced in it. */
const META_URL = /\bimport\.meta\.url\b/g;

/** What the plugin's own resolving of a package is told apart by. */
const RESOLVING = Symbol('resolving');

/**
 * Keeps the bundle behaving as the modules do on disk: a package is imported by the file
 * URL it resolves to (a data: URL has no node_modules to look in), and each module's
 * import.meta.url is its own file's URL, by which it finds files beside it. Each source it
 * loads goes in `loaded` with its content hash.
 */
function asOnDisk(loaded: Map<string, string>): Plugin {
  return {
    name: 'as-on-disk',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith('node:') || args.pluginData === RESOLVING) return undefined;
        const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: RESOLVING });
        if (found.errors.length > 0) return { errors: found.errors };
        return { path: found.external ? found.path : pathToFileURL(found.path).href, external: true };
      });
      build.onLoad({ filter: /\.tsx?$/ }, async (args) => {
        const bytes = await readFile(args.path);
        loaded.set(args.path, contentHashOf(bytes));
        const text = bytes.toString('utf8');
        return { contents: text.replace(META_URL, JSON.stringify(pathToFileURL(args.path).href)), loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
      });
    },
  };
}

/** Leaves out `--import tsx` (and its other spellings) from the flags a thread inherits. */
function withoutTsx(): (arg: string, index: number, args: string[]) => boolean {
  const isTsx = (value: string | undefined) => value !== undefined && /(^|[/\\])tsx([/\\]|$)/.test(value);
  const loaders = /^(--import|--require|-r|--loader|--experimental-loader)$/;
  return (arg, index, args) => {
    const [flag, value] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (loaders.test(flag!) && (value !== undefined ? isTsx(value) : isTsx(args[index + 1]))) return false;
    // The value after a flag that was left out.
    return !(index > 0 && loaders.test(args[index - 1]!) && isTsx(arg));
  };
}
