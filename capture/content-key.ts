// What makes two imported exchanges the same one when the file does not name them (a HAR
// from another tool, or one an older ca2-inspector wrote): its place in the file, when it
// started to the microsecond, and everything recorded of it. Identical calls a second apart,
// or in the same millisecond, are different exchanges; only the same entry of the same file
// imported again is the same one. Ids, decodes and problems are left out: they are derived.

import { createHash } from 'node:crypto';
import type { HeaderList } from '../model/types.ts';
import type { Flow } from '../model/flow.ts';

export function contentKey(flow: Flow, position: number): string {
  const { frames, close } = flow;
  const hash = createHash('sha256');
  const part = (value: string | Uint8Array) => {
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    // Length-prefixed, so no two different sequences of parts hash alike.
    hash.update(`${bytes.length}:`);
    hash.update(bytes);
  };
  const micros = (ms: number | null) => (ms === null ? '-' : String(Math.round(ms * 1000)));
  const headers = (list: HeaderList) => list.forEach(([name, value]) => (part(name), part(value)));
  part(String(position));
  part(micros(flow.startedAt));
  part(micros(flow.endedAt));
  part(flow.kind);
  part(flow.request.method);
  part(flow.request.path);
  headers(flow.request.headers);
  part(flow.request.body);
  part(String(flow.request.size));
  const response = flow.response;
  part(response ? `${response.status} ${response.statusMessage}` : '-');
  if (response) headers(response.headers);
  part(response?.body ?? '');
  part(flow.error?.message ?? '-');
  for (const frame of frames) {
    part(`${frame.seq} ${frame.direction} ${frame.opcode} ${micros(frame.at)} ${frame.size}`);
    part(frame.body);
  }
  part(close ? `${close.code} ${close.by} ${micros(close.at)}` : '-');
  part(close?.reason ?? '');
  return hash.digest('hex');
}
