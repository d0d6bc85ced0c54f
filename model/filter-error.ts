// The error every part of the filter language throws: where in the text, and what was
// expected there. The filter bar marks the position; the CLI and REST say the sentence.

import { UserError } from './user-error.ts';

/** A malformed filter: `position` is the 0-based character index the message refers to. */
export class FilterError extends UserError {
  constructor(
    readonly position: number,
    readonly expected: string,
  ) {
    super(`at ${position}: ${expected}`, { details: { position } });
  }
}
