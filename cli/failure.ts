// How the CLI reports an error nobody foresaw: one line for the user, the stack only on request.

import { DEBUG_ENV, describeBug } from '../model/user-error.ts';

export function describeFailure(err: unknown): string {
  return describeBug(err, Boolean(process.env[DEBUG_ENV]));
}
