// Sending a recorded answer: its status and headers as recorded, minus the hop-by-hop ones
// (they belonged to the recorded connection), with Content-Length for the body sent now.

import type { ServerResponse } from 'node:http';
import { forwardedResponseHeaders } from '../proxy/headers.ts';
import type { RecordedAnswer } from './recording.ts';

export function sendRecorded(res: ServerResponse, answer: RecordedAnswer, body: Uint8Array, extraHeaders: string[] = []): void {
  const headers = forwardedResponseHeaders(answer.headers.flat());
  let sized = false;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i].toLowerCase() === 'content-length') {
      headers[i + 1] = String(body.length);
      sized = true;
    }
  }
  if (!sized) headers.push('Content-Length', String(body.length));
  res.writeHead(answer.status, [...headers, ...extraHeaders]);
  res.end(body);
}
