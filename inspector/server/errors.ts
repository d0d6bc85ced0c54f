// The one place the inspector turns an error into an answer: a UserError is the
// request's or the file's fault and answers its own status with its sentence; anything
// else is a bug, answered 500 and named so, as the CLI does.

import type express from 'express';
import { DEBUG_ENV, describeBug, UserError } from '../../model/user-error.ts';
import { JSON_BODY_LIMIT } from './json-body.ts';

export function errorHandler(log: (line: string) => void): express.ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (res.headersSent) {
      // Too late for an answer: the download or page is cut off, which the client sees.
      res.destroy();
      return;
    }
    if (err instanceof UserError) return void res.status(err.status).json({ ...err.details, error: err.message });
    // express.json and friends mark a body they refuse with its status (400, 413, 415).
    const status = (err as { status?: unknown }).status;
    if (status === 413) {
      return void res.status(413).json({ error: `The request body is larger than the ${JSON_BODY_LIMIT} ${req.method} ${req.originalUrl.split('?')[0]} takes; send a smaller message.` });
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return void res.status(status).json({ error: `The request body is not JSON that ${req.method} ${req.originalUrl.split("?")[0]} can take: ${(err as Error).message}.` });
    }
    const sentence = describeBug(err, Boolean(process.env[DEBUG_ENV]));
    log(`inspector: ${req.method} ${req.originalUrl.split('?')[0]} failed: ${sentence}`);
    res.status(500).json({ error: `The inspector failed to answer: ${sentence}` });
  };
}
