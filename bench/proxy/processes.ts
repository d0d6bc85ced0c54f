// The processes the proxy benchmark (bench/proxy.ts) runs, each on its own: the upstream
// and the proxies it compares, started in the project root and known by the addresses
// they print.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const tsx = ['--import', 'tsx'];

/** How to start a proxy in front of `upstream`; it must print "proxy at http://HOST:PORT," when ready. */
export type ProxyCommand = (upstream: string, workDir: string) => string[];

export const bare: ProxyCommand = (upstream) => [...tsx, 'bench/proxy/bare-forwarder.ts', upstream];
export const recording: ProxyCommand = (upstream, workDir) => [
  'bin/ca2-inspector.js', 'proxy', '--upstream', upstream, '--listen', '127.0.0.1:0', '--ui', '127.0.0.1:0',
  '--db', join(workDir, 'bench.sqlite'), '--quiet',
];
export const tapOnly: ProxyCommand = (upstream) => [...tsx, 'bench/proxy/tap-only-proxy.ts', upstream];

export interface Child {
  process: ChildProcess;
  url: string;
  /** The inspector's address, for a recording proxy. */
  ui: string | null;
  /** The inspector's token from the printed link, sent as a bearer token. */
  token: string | null;
  /** Resolves with everything the process printed. */
  stop(): Promise<string[]>;
}

/** Starts `node args` in the project root and waits for its "… at http://…," line. */
export async function start(args: string[]): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let ui: string | null = null;
  let token: string | null = null;
  child.stderr!.on('data', (d) => output.push(String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      ui ??= /inspector at (http:\/\/[^/\s]+)/.exec(line)?.[1] ?? null;
      token ??= /inspector at \S+\?token=(\S+)/.exec(line)?.[1] ?? null;
      const ready = / at (http:\/\/\S+?),/.exec(line);
      if (ready) resolve(ready[1]!);
    });
    child.once('exit', (code) => reject(new Error(`node ${args.join(' ')} exited with ${code}:\n${output.join('\n')}`)));
  });
  return {
    process: child,
    url,
    ui,
    token,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(output);
        child.once('exit', () => resolve(output));
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}
