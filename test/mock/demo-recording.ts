// A recording of one demo session, made as a user would make it: the real proxy command in
// front of the demo server (with its schema), the demo client talking to the proxy. Shared by the mock tests.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemoClient } from '../../demo/client.ts';
import { demoProtoDir, startDemoServer } from '../../demo/server.ts';
import { startProxyProcess } from '../support/proxy-process.ts';

/** Records one demo session into a new file in a temp dir and returns its path once the proxy has written it. */
export async function recordDemoSession(): Promise<{ db: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-mock-'));
  const db = join(dir, 'recorded.sqlite');
  const demo = await startDemoServer({ eventDelayMs: 30 });
  try {
    const proxy = await startProxyProcess(['--upstream', demo.url.href, '--db', db, '--proto', demoProtoDir, '--quiet']);
    try {
      await runDemoClient({ baseUrl: new URL(proxy.proxyUrl), pauseMs: 5 });
    } finally {
      const code = await proxy.stop();
      if (code !== 0) throw new Error(`the recording proxy exited with ${code}: ${proxy.lines.join('\n')}`);
    }
  } finally {
    await demo.close();
  }
  return { db, dir };
}
