// GET /api/rules and PATCH /api/rules/:name: the interception rules the proxy runs
// (proxy --rules FILE), with their hit counts, and the switch that turns one on or off
// in the running set (the file is left as it is); POST adds a rule, DELETE removes one
// added so (both asked of the proxy's thread). Without rules the list is empty.

import express from 'express';
import { jsonBody } from './json-body.ts';
import type { RuleControl } from '../../model/rules.ts';
import { Refusal } from '../../model/user-refusal.ts';

export function rulesRouter(rules: RuleControl | undefined): express.Router {
  const router = express.Router();
  router.get('/rules', (_req, res) => {
    res.json(rules?.list() ?? []);
  });
  router.post('/rules', jsonBody, async (req, res, next) => {
    if (!rules) return void res.status(404).json({ error: 'This inspector shows a recording, not a running proxy: there are no rules to add to.' });
    try {
      res.status(201).json(await rules.add(req.body));
    } catch (err) {
      if (err instanceof Refusal) return void res.status(err.status).json({ error: err.message });
      next(err);
    }
  });
  router.delete('/rules/:name', async (req, res, next) => {
    if (!rules) return void res.status(404).json({ error: `No rule is named "${req.params.name}"; this inspector shows a recording, not a running proxy.` });
    try {
      await rules.remove(req.params.name);
      res.status(204).end();
    } catch (err) {
      if (err instanceof Refusal) return void res.status(err.status).json({ error: err.message });
      next(err);
    }
  });
  router.patch('/rules/:name', jsonBody, (req, res) => {
    const name = req.params.name;
    const enabled = enabledIn(req.body);
    if (typeof enabled === 'string') return void res.status(400).json({ error: enabled });
    const view = rules?.setEnabled(name, enabled) ?? null;
    if (!view) {
      const why = rules ? 'GET /api/rules lists the loaded ones' : 'the proxy runs no rules (start it with --rules FILE)';
      return void res.status(404).json({ error: `No rule is named "${name}"; ${why}.` });
    }
    res.json(view);
  });
  return router;
}

/** The body's `enabled`, or a sentence saying what is wrong with the body. */
function enabledIn(body: unknown): boolean | string {
  const shape = 'PATCH /api/rules/:name takes a JSON body { "enabled": true } or { "enabled": false }';
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return `${shape}.`;
  const unknown = Object.keys(body).find((key) => key !== 'enabled');
  if (unknown !== undefined) return `"${unknown}" is not a rule setting the inspector changes; ${shape}.`;
  const { enabled } = body as { enabled?: unknown };
  if (enabled === undefined) return `The body has no "enabled"; ${shape}.`;
  if (typeof enabled !== 'boolean') return `enabled must be true or false; got ${JSON.stringify(enabled)}.`;
  return enabled;
}
