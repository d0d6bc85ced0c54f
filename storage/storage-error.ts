// The error of a file that is no recording, or cannot be read or written.

import { UserError } from '../model/user-error.ts';

/** A file that is no recording, or that cannot be read or written: the sentence names it and the fix. */
export class StorageError extends UserError {
  constructor(message: string) {
    // Over REST, a file that fails under the inspector is the server's state, not the request's fault.
    super(message, { status: 503 });
  }
}
