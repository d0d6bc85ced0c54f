// Files and folders named on the command line, checked before any work is done: a
// mistyped output path must not cost a whole replay or export first, and an input that
// is a folder or unreadable is a sentence, not a Node error code.

import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../model/user-error.ts';

/** Why a file could not be opened, in words. */
export function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return (err as Error).message;
  }
}

/** An input file: it must exist, be a file and be readable. `what` names it: "--db", "the file to import". */
export function checkInputFile(file: string, what: string): string {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw new UserError(`${what} ${file} cannot be read (${reasonOf(err)}).`);
  }
  if (!isFile) throw new UserError(`${what} ${file} is a folder, not a file; name a file inside it.`);
  return file;
}

/**
 * An output file: not a folder, in a folder that exists and can be written to. It may
 * exist (it is replaced). `flag` names the option: "-o", "--report".
 */
export function checkOutputFile(file: string, flag: string): string {
  let existing: ReturnType<typeof statSync> | undefined;
  try {
    existing = statSync(file);
  } catch {
    existing = undefined;
  }
  if (existing?.isDirectory() || file.endsWith('/')) {
    throw new UserError(`${flag} ${file} is a folder; name a file in it, like ${joinShown(file, 'out')}.`);
  }
  const folder = dirname(resolve(file));
  let folderIsDir: boolean;
  try {
    folderIsDir = statSync(folder).isDirectory();
  } catch {
    throw new UserError(`${flag} ${file}: the folder ${folder} does not exist; create it or write somewhere else.`);
  }
  if (!folderIsDir) throw new UserError(`${flag} ${file}: ${folder} is not a folder; write somewhere else.`);
  try {
    accessSync(folder, constants.W_OK);
    if (existing) accessSync(file, constants.W_OK);
  } catch {
    throw new UserError(`${flag} ${file} cannot be written (permission denied); write somewhere else.`);
  }
  return file;
}

function joinShown(folder: string, name: string): string {
  return folder.endsWith('/') ? folder + name : `${folder}/${name}`;
}
