// What makes two imported exchanges the same one: when it started (to the millisecond, as
// HAR keeps it), the request line, and every byte that crossed. Ids, decodes and problems
// are left out: they are derived, and differ between tools and schemas.

import { createHash } from 'node:crypto';
import type { CapturedExchange } from './captured.ts';

export function contentKey({ flow, frames }: CapturedExchange): string {
  const hash = createHash('sha256');
  const part = (value: string | Uint8Array) => {
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    // Length-prefixed, so no two different sequences of parts hash alike.
    hash.update(`${bytes.length}:`);
    hash.update(bytes);
  };
  part(String(Math.trunc(flow.startedAt)));
  part(flow.kind);
  part(flow.request.method);
  part(flow.request.path);
  part(flow.request.body);
  part(flow.response ? String(flow.response.status) : '-');
  part(flow.response?.body ?? '');
  for (const frame of frames) {
    part(`${frame.direction} ${frame.opcode}`);
    part(frame.body);
  }
  return hash.digest('hex');
}
