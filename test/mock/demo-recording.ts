// A recording of one demo session, made as a user would make it: the real proxy command in
// front of the demo server (with its schema), the demo client talking to the proxy. Shared by the mock tests.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemoClient } from '../../demo/client.ts';
import { demoProtoDir, startDemoServer } from '../../demo/server.ts';
import { startProxyProcess } from '../../support/proxy-process.ts';
import type { ExchangeDetail } from '../../model/types.ts';
import { startMock, type MockServer } from '../../mock/server.ts';
import { createCodec } from '../../proto/codec.ts';
import { Store } from '../../storage/store.ts';

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

/** Every exchange of a recording in id order, read with the demo schema it was recorded with. */
export function readExchanges(db: string): ExchangeDetail[] {
  const store = Store.open(db, { codec: createCodec({ protoPaths: [demoProtoDir] }) });
  try {
    const ids: number[] = [];
    for (let before: number | undefined, page; (page = store.listExchanges({ limit: 1000, before })).items.length > 0; before = page.next ?? 0) {
      ids.push(...page.items.map((s) => s.id));
      if (page.next === null) break;
    }
    return ids.sort((a, b) => a - b).map((id) => store.getExchange(id)!);
  } finally {
    store.close();
  }
}

/** Runs `use` against a mock of the recording at `db`, with the lines it printed, and closes it. */
export async function withMock(
  db: string,
  options: Partial<Parameters<typeof startMock>[0]>,
  use: (mock: MockServer, lines: string[]) => Promise<void>,
): Promise<void> {
  const lines: string[] = [];
  const mock = await startMock({ db, listen: { host: '127.0.0.1', port: 0 }, say: (l) => lines.push(l), ...options });
  try {
    await use(mock, lines);
  } finally {
    await mock.close();
  }
}
