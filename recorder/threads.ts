// Worker threads that run one of our TypeScript modules. The main thread runs the sources
// through tsx, but a thread that registered tsx too would spend most of a second and
// 55-60 MB starting its own loader before our code ran. So each entry is bundled once
// per process with esbuild (as the inspector's UI is) and the thread starts from that
// bundle, handed over as a data: URL: nothing is written to disk.

import { build, stop, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

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
    code = bundle(entry);
    bundles.set(entry.href, code);
    // A failed bundle is not kept, so that the next thread tries again.
    code.catch(() => bundles.delete(entry.href));
  }
  return code;
}

/** Bundles under way: esbuild's service process is stopped when none is, rather than kept (20-35 MB) for the rest of the run. */
let building = 0;

async function bundle(entry: URL): Promise<URL> {
  building += 1;
  try {
    return await bundleOnce(entry);
  } finally {
    building -= 1;
    if (building === 0) await stop();
  }
}

async function bundleOnce(entry: URL): Promise<URL> {
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Node's own conditions and main field, so that a package resolves here as it would for Node.
    conditions: [],
    mainFields: ['main'],
    logLevel: 'silent',
    plugins: [asOnDisk],
  });
  // Stack traces name the entry, not a data: URL hundreds of kilobytes long.
  const text = `${result.outputFiles[0]!.text}\n//# sourceURL=${entry.href}?bundled\n`;
  return new URL(`data:text/javascript;base64,${Buffer.from(text).toString('base64')}`);
}

/** A pattern, not the words themselves: this module is bundled into threads that start threads, and the words would be replaced in it. */
const META_URL = /\bimport\.meta\.url\b/g;

/**
 * Keeps the bundle behaving as the modules do on disk: a package is imported by the file
 * URL it resolves to (a data: URL has no node_modules to look in), and each module's
 * import.meta.url is its own file's URL, by which it finds files beside it.
 */
const asOnDisk: Plugin = {
  name: 'as-on-disk',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('node:') || args.pluginData === asOnDisk) return undefined;
      const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: asOnDisk });
      if (found.errors.length > 0) return { errors: found.errors };
      return { path: found.external ? found.path : pathToFileURL(found.path).href, external: true };
    });
    build.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replace(META_URL, JSON.stringify(pathToFileURL(args.path).href)), loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
    });
  },
};

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
