// A request to the running proxy that cannot be carried out as asked (a paused message
// that went on already, a rule that does not parse): the HTTP status its REST route
// answers with, and a sentence saying what was wrong. No Node imports: shared with the browser's types.

export type RefusalStatus = 400 | 404 | 409;

export class Refusal extends Error {
  constructor(
    message: string,
    readonly status: RefusalStatus,
  ) {
    super(message);
  }
}
