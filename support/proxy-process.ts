// Runs the real `ca2-inspector proxy` command as a child process, as a user would,
// and reads the addresses it prints.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const projectRoot = fileURLToPath(new URL('../', import.meta.url));
const bin = fileURLToPath(new URL('../bin/ca2-inspector.js', import.meta.url));

export interface ProxyProcess {
  child: ChildProcess;
  proxyUrl: string;
  uiUrl: string;
  /** The ?token=… link the proxy printed (without a token only with --ui-token off). */
  uiLink: string;
  /** The UI token from that link, or null. */
  uiToken: string | null;
  /** GET on the inspector's listener with the UI token, as a script would send it. */
  api(path: string, init?: RequestInit): Promise<Response>;
  lines: string[];
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the proxy with the given arguments (ports default to 0), and `env` added to its environment, and waits until it is ready. */
export async function startProxyProcess(args: string[], timeoutMs = 30_000, env: Record<string, string> = {}): Promise<ProxyProcess> {
  const withPorts = [...args];
  if (!withPorts.includes('--listen')) withPorts.push('--listen', '127.0.0.1:0');
  if (!withPorts.includes('--ui')) withPorts.push('--ui', '127.0.0.1:0');
  const child = spawn(process.execPath, [bin, 'proxy', ...withPorts], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const lines: string[] = [];
  /** The signal that ended it, if one did: a proxy killed from outside says so, not just "null". */
  let signalled: NodeJS.Signals | null = null;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      signalled = signal;
      resolve(code);
    }),
  );
  const stderr: string[] = [];
  child.stderr!.on('data', (d) => stderr.push(String(d)));

  const ready = new Promise<{ proxyUrl: string; uiLink: string }>((resolve, reject) => {
    let uiLink = '';
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const ui = /inspector at (\S+)/.exec(line);
      if (ui) uiLink = ui[1];
      const proxy = /proxy at (http:\/\/\S+?),/.exec(line);
      if (proxy) resolve({ proxyUrl: proxy[1], uiLink });
    });
    void exited.then((code) => reject(new Error(`proxy exited with ${signalled ? `signal ${signalled}` : code} before it was ready: ${stderr.join('')}${lines.join('\n')}`)));
    setTimeout(() => reject(new Error(`proxy not ready after ${timeoutMs} ms: ${stderr.join('')}${lines.join('\n')}`)), timeoutMs).unref();
  });
  let started;
  try {
    started = await ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const ui = new URL(started.uiLink);
  const uiToken = ui.searchParams.get('token');
  return {
    child,
    proxyUrl: started.proxyUrl,
    uiUrl: ui.origin,
    uiLink: started.uiLink,
    uiToken,
    api: (path, init = {}) =>
      fetch(`${ui.origin}${path}`, { ...init, headers: { ...(uiToken ? { authorization: `Bearer ${uiToken}` } : {}), ...(init.headers as Record<string, string>) } }),
    lines,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls until check returns a value other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
