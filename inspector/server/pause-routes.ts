// GET /api/paused and POST /api/paused/:id: the messages breakpoints hold (rules with
// break: true, intercept/pauses.ts), and the decision that lets one go on, answers it or
// aborts it. The live stream carries `paused` and `resumed` as they happen. Like every
// /api route, they need the inspector's token and its own Host and Origin (guard.ts).

import express from 'express';
import type { PauseControl } from '../../model/pauses.ts';
import { Refusal } from '../../model/user-refusal.ts';

export function pauseRouter(pauses: PauseControl | undefined): express.Router {
  const router = express.Router();
  router.get('/paused', (_req, res) => {
    res.json(pauses?.list() ?? []);
  });
  router.post('/paused/:id', express.json(), async (req, res, next) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1) return void res.status(400).json({ error: `"${req.params.id}" is not a paused message's id; GET /api/paused lists them.` });
    if (!pauses) return void res.status(404).json({ error: 'Nothing can be paused: the proxy runs no rules (start it with --rules FILE and a rule with break: true).' });
    try {
      res.json(await pauses.decide(id, req.body));
    } catch (err) {
      if (err instanceof Refusal) return void res.status(err.status).json({ error: err.message });
      next(err);
    }
  });
  return router;
}
