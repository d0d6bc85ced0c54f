// POST /api/messages/check: whether decoded JSON fits the loaded schema, asked by the
// message editor as the user types. It makes the very codec call the proxy makes to
// encode an edit at a breakpoint (intercept/pauses.ts) and a resend makes to encode an
// edited request (replay/replayer.ts), over the same original bytes, so what passes here
// is what Continue with edits, Answer, Inject and Resend accept. It needs only the
// codec: a recording served by `open` answers it too.

import express from 'express';
import { jsonBody } from './json-body.ts';
import { BASE64_RULE, isPaddedBase64 } from '../../model/base64.ts';
import { EncodeError, MESSAGE_TYPES, type Codec } from '../../proto/codec.ts';
import type { JsonValue, MessageCheckAnswer, MessageCheckRequest, MessageType } from '../../model/types.ts';

const SHAPE = '{ "type": "ClientRequest" | "ServerResponse" | "WsAuth" | "WsEvent", "json": <decoded message>, "base64"?: "<original bytes>" }';

export function messageRouter(codec: Codec): express.Router {
  const router = express.Router();
  router.post('/messages/check', jsonBody, (req, res, next) => {
    const check = checkRequest(req.body);
    if (typeof check === 'string') return void res.status(400).json({ error: check });
    let answer: MessageCheckAnswer;
    try {
      const original = check.base64 === undefined ? undefined : new Uint8Array(Buffer.from(check.base64, 'base64'));
      answer = { ok: true, bytes: codec.encode(check.type, check.json, original).length };
    } catch (err) {
      if (!(err instanceof EncodeError)) return next(err);
      answer = { ok: false, error: `The message does not fit ${check.type}: ${err.message}.` };
    }
    res.json(answer);
  });
  return router;
}

/** The request body, checked: what to encode, or a sentence saying what is wrong. */
function checkRequest(body: unknown): MessageCheckRequest | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return `The body must be a JSON object: ${SHAPE}.`;
  const given = body as Record<string, JsonValue>;
  const unknown = Object.keys(given).find((key) => key !== 'type' && key !== 'json' && key !== 'base64');
  if (unknown) return `"${unknown}" is not part of a message check; send ${SHAPE}.`;
  if (!MESSAGE_TYPES.includes(given.type as MessageType)) {
    return `type must be one of ${MESSAGE_TYPES.join(', ')}, not ${given.type === undefined ? 'missing' : JSON.stringify(given.type)}.`;
  }
  if (!('json' in given)) return `json is missing: send the decoded ${String(given.type)} to check.`;
  const { base64 } = given;
  if (base64 !== undefined && !isPaddedBase64(base64)) {
    return `base64 is not base64 text (${BASE64_RULE}); send the bytes the edit is encoded over, or leave it out.`;
  }
  return { type: given.type as MessageType, json: given.json, ...(base64 === undefined ? {} : { base64 }) };
}
