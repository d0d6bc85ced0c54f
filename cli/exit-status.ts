// The exit statuses every command shares; cli/main.ts maps errors to them.

/** Done, but the result is not clean (a replay differed, a decode had problems), or a bug. */
export const EXIT_NOT_CLEAN = 1;
/** Not done, in whole or in part, because of something the user can fix: every UserError. */
export const EXIT_USER_ERROR = 2;
/** A second Ctrl-C: stopped without waiting. */
export const EXIT_INTERRUPTED = 130;
