// GET /api/paused and POST /api/paused/:id: the messages breakpoints hold (rules with
// break: true, intercept/pauses.ts), and the decision that lets one go on, answers it or
// aborts it; POST /api/paused/:id/inject sends a frame of the user's on a paused frame's
// WebSocket. The live stream carries `paused` and `resumed` as they happen. Like every
// /api route, they need the inspector's token and its own Host and Origin (guard.ts).

import express from 'express';
import { jsonBody } from './json-body.ts';
import type { PauseControl } from '../../model/pauses.ts';
import { Refusal } from '../../model/user-refusal.ts';

export function pauseRouter(pauses: PauseControl | undefined): express.Router {
  const router = express.Router();
  router.get('/paused', (_req, res) => {
    res.json(pauses?.list() ?? []);
  });
  router.post('/paused/:id', jsonBody, onPaused(pauses, (control, id, body) => control.decide(id, body)));
  router.post('/paused/:id/inject', jsonBody, onPaused(pauses, async (control, id, body) => (await control.inject(id, body), { injected: true })));
  return router;
}

/** A POST on one paused message: its id checked, the answer as JSON, a Refusal as its status and sentence. */
function onPaused(pauses: PauseControl | undefined, act: (control: PauseControl, id: number, body: unknown) => Promise<unknown>): express.RequestHandler {
  return async (req, res, next) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1) return void res.status(400).json({ error: `"${req.params.id}" is not a paused message's id; GET /api/paused lists them.` });
    if (!pauses) return void res.status(404).json({ error: 'Nothing can be paused: this inspector shows a recording, not a running proxy.' });
    try {
      res.json(await act(pauses, id, req.body));
    } catch (err) {
      if (err instanceof Refusal) return void res.status(err.status).json({ error: err.message });
      next(err);
    }
  };
}
