// The REST API over everything stored.

import express from 'express';
import type { Store } from '../../storage/store.ts';
import type { InspectorAbout } from '../../model/types.ts';
import { toolVersion } from '../../capture/tool-version.ts';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** `readOnly`: the file `open` serves, with no proxy behind the inspector. */
export function apiRouter(store: Store, readOnly?: { file: string }): express.Router {
  const router = express.Router();
  const about: InspectorAbout = readOnly ? { mode: 'read-only', file: readOnly.file, version: toolVersion } : { mode: 'live', version: toolVersion };

  router.get('/about', (_req, res) => {
    res.json(about);
  });

  router.get('/exchanges', (req, res) => {
    const limit = integerParam(req.query.limit, 'limit', DEFAULT_LIMIT);
    const before = integerParam(req.query.before, 'before', undefined);
    if (typeof limit !== 'number') return void res.status(400).json({ error: limit ?? 'limit is missing.' });
    if (typeof before === 'string') return void res.status(400).json({ error: before });
    if (limit < 1 || limit > MAX_LIMIT) {
      return void res.status(400).json({ error: `limit must be between 1 and ${MAX_LIMIT}; got ${limit}.` });
    }
    const filter = typeof req.query.filter === 'string' ? req.query.filter : undefined;
    const ids = exchangeIds(req.query.ids);
    if (typeof ids === 'string') return void res.status(400).json({ error: ids });
    if (ids && ids.length > MAX_LIMIT) return void res.status(400).json({ error: `ids takes at most ${MAX_LIMIT} exchange ids; got ${ids.length}.` });
    res.json(store.listExchanges({ limit, before, filter, ids }));
  });

  router.get('/exchanges/:id', (req, res) => {
    const id = Number(req.params.id);
    const detail = Number.isSafeInteger(id) ? store.getExchange(id) : null;
    if (!detail) return void res.status(404).json({ error: `No exchange has id ${req.params.id}.` });
    res.json(detail);
  });

  router.get('/stats', (_req, res) => {
    res.json(store.stats());
  });

  router.use((_req, res) => {
    res.status(404).json({ error: 'No such API endpoint; see README.md for /api/exchanges and /api/exchanges/:id.' });
  });

  return router;
}

/** ids=3,5,8 from the query string: undefined when absent, or a sentence saying what is wrong. */
export function exchangeIds(value: unknown): number[] | undefined | string {
  if (value === undefined || value === '') return undefined;
  const ids = typeof value === 'string' ? value.split(',').map(Number) : [];
  if (ids.length === 0 || !ids.every((id) => Number.isSafeInteger(id) && id > 0)) return `ids must be exchange ids separated by commas; got "${String(value)}".`;
  return ids;
}

/** A whole number from the query string, the fallback when absent, or a sentence saying what is wrong. */
function integerParam(value: unknown, name: string, fallback: number | undefined): number | undefined | string {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isSafeInteger(n)) return `${name} must be a whole number; got "${String(value)}".`;
  return n;
}
