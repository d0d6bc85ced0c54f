// How the CLI reports an error nobody foresaw: one line for the user, the stack only on request.

export const DEBUG_ENV = 'CA2_INSPECTOR_DEBUG';

export function describeFailure(err: unknown): string {
  const error = err instanceof Error ? err : new Error(String(err));
  if (process.env[DEBUG_ENV]) return error.stack ?? error.message;
  return `${error.message} (this is a bug in ca2-inspector; run with ${DEBUG_ENV}=1 for the stack, and report it)`;
}
