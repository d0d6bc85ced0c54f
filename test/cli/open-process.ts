// Runs the real `ca2-inspector open` command as a child process, as a user would, and
// waits for the link it prints once it serves the file read-only.

import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../support/proxy-process.ts';

export interface OpenProcess {
  child: ChildProcess;
  /** The ?token=… link open printed. */
  link: URL;
  /** Everything it printed so far, stdout and stderr as they came. */
  output(): string;
  /** Ctrl-C (SIGINT); resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `open` with `args` on a loopback port of its own, in `env` (default: this process's). */
export async function startOpen(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<OpenProcess> {
  const child = spawn(process.execPath, ['bin/ca2-inspector.js', 'open', ...args, '--ui', '127.0.0.1:0'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const link = await new Promise<URL>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const match = /inspector at (\S+)/.exec(output);
      if (match && output.includes('read-only')) resolve(new URL(match[1]!));
    });
    void exited.then(() => reject(new Error(`open exited early: ${output}`)));
  });
  return {
    child,
    link,
    output: () => output,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
