// Paths other than /exec and /ws (GET /, /health …): the recorded answer for the same
// method and path, in recorded order then the last repeating; 404 with a sentence if none.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendRecorded } from './answer.ts';
import type { Recording } from './recording.ts';

export function answerOther(recording: Recording, req: IncomingMessage, res: ServerResponse): void {
  const key = `${req.method} ${req.url}`;
  const answer = recording.http.get(key)?.take();
  if (!answer) {
    const text = `The recording has no answer for ${key}; the mock serves /exec, /ws and the paths it recorded.\n`;
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  sendRecorded(res, answer, answer.body);
}
