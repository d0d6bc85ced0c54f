// POST /api/exchanges/:id/replay: resend one recorded exchange, perhaps edited, and answer
// { id, replayOf, diff } with the new exchange's id and the differences in its answer.

import express from 'express';
import { jsonBody } from './json-body.ts';
import type { JsonValue, ReplayAnswer } from '../../model/types.ts';
import type { ReplayOptions } from '../../replay/replayer.ts';
import type { ReplayService } from '../../replay/service.ts';

export function replayRouter(service: ReplayService): express.Router {
  const router = express.Router();
  router.post('/exchanges/:id/replay', jsonBody, async (req, res) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id)) return void res.status(404).json({ error: `No exchange has id ${req.params.id}.` });
    const parsed = replayRequest(req.body ?? {});
    if (typeof parsed === 'string') return void res.status(400).json({ error: parsed });
    const outcome = await service.replay(id, parsed);
    const answer: ReplayAnswer = { id: outcome.id, replayOf: outcome.replayOf, diff: outcome.diff, ...(outcome.error ? { error: outcome.error } : {}) };
    res.json(answer);
  });
  return router;
}

/** The request body, checked: the options, or a sentence saying what is wrong. */
function replayRequest(body: Record<string, JsonValue>): (ReplayOptions & { upstream?: URL }) | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'The body must be a JSON object: { trx?, token?, body?, upstream?, timing? }.';
  const known = new Set(['trx', 'token', 'body', 'upstream', 'timing']);
  const unknown = Object.keys(body).find((key) => !known.has(key));
  if (unknown) return `"${unknown}" is not a replay option; use trx, token, body, upstream or timing.`;
  const options: ReplayOptions & { upstream?: URL } = {};
  if (body.trx !== undefined) {
    if (body.trx !== 'new' && body.trx !== 'keep') return 'trx must be "new" or "keep".';
    options.trx = body.trx;
  }
  if (body.timing !== undefined) {
    if (body.timing !== 'recorded' && body.timing !== 'none') return 'timing must be "recorded" or "none".';
    options.timing = body.timing;
  }
  if (body.token !== undefined) {
    if (typeof body.token !== 'string') return 'token must be a string.';
    options.token = body.token;
  }
  if (body.body !== undefined) {
    const given = body.body;
    if (given === null || typeof given !== 'object' || Array.isArray(given) || Object.keys(given).length !== 1 || !('json' in given || 'base64' in given)) {
      return 'body must be { "json": <decoded ClientRequest> } or { "base64": "<bytes>" }.';
    }
    if ('base64' in given && typeof given.base64 !== 'string') return 'body.base64 must be a string of base64.';
    options.body = 'json' in given ? { json: given.json } : { base64: given.base64 as string };
  }
  if (body.upstream !== undefined) {
    let url: URL | null = null;
    try {
      url = typeof body.upstream === 'string' ? new URL(body.upstream) : null;
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return 'upstream must be an http:// or https:// URL.';
    options.upstream = url;
  }
  return options;
}
