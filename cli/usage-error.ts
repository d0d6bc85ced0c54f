/** A mistake in how a command was called; the CLI prints its message on one line and exits 2. */
export class UsageError extends Error {}
