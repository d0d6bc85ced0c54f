// A file given to import or open that cannot be taken: the sentence names the file, and
// for a HAR file the entry and the field.

import { UserError } from '../model/user-error.ts';

export class SourceError extends UserError {}
