// A mistake the user can fix: in how a command was called, in a file, schema or value
// they gave, or in what they asked of the REST API. Its message is the sentence shown.
// The CLI maps every one to exit status 2 (cli/main.ts) and the inspector to `status`
// (inspector/server/errors.ts); anything else reaching either is a bug, and is named so.
// No Node imports: the browser's filter errors are UserErrors too.

export interface UserErrorOptions {
  /** The HTTP status the inspector answers with (default 400). */
  status?: number;
  /** Fields added to the inspector's JSON answer beside `error`, such as a filter's `position`. */
  details?: Record<string, unknown>;
}

export class UserError extends Error {
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(message: string, options: UserErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.status = options.status ?? 400;
    this.details = options.details ?? {};
  }
}

/** Set in the environment to see a bug's stack instead of its one line. */
export const DEBUG_ENV = 'CA2_INSPECTOR_DEBUG';

/**
 * An error nobody foresaw, in one line that names it a bug; the stack instead when
 * `withStack` (Node callers pass whether DEBUG_ENV is set).
 */
export function describeBug(err: unknown, withStack: boolean): string {
  const error = err instanceof Error ? err : new Error(String(err));
  if (withStack) return error.stack ?? error.message;
  return `${error.message} (this is a bug in ca2-inspector; run with ${DEBUG_ENV}=1 for the stack, and report it)`;
}
