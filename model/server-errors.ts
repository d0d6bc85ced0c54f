// The ServerError names of the documented API (proto/ca2/ca2.proto), and their short forms
// (expired_token): the filter's error: takes either, the inspector's badges show the short one.

/** The names error: accepts. */
export const serverErrorNames = [
  'SE_UNKNOWN_ERROR',
  'SE_TRX_REQUIRED_ERROR',
  'SE_INVALID_TRX_ERROR',
  'SE_INVALID_TOKEN_ERROR',
  'SE_EXPIRED_TOKEN_ERROR',
  'SE_INTERNAL_SERVER_ERROR',
  'SE_TOKEN_REQUIRED_ERROR',
  'SE_RATE_LIMIT_EXCEEDED_ERROR',
];

/** SE_EXPIRED_TOKEN_ERROR → expired_token. */
export function shortErrorName(name: string): string {
  return name.replace(/^SE_/, '').replace(/_ERROR$/, '').toLowerCase();
}

/**
 * expired_token, EXPIRED_TOKEN, SE_EXPIRED_TOKEN_ERROR → SE_EXPIRED_TOKEN_ERROR; numbers
 * stay as they are (a value the enum does not list is recorded as its number); null for
 * anything that names no known ServerError.
 */
export function fullErrorName(value: string): string | null {
  if (/^\d+$/.test(value)) return value;
  let name = value.toUpperCase();
  if (!name.startsWith('SE_')) name = `SE_${name}`;
  if (!name.endsWith('_ERROR')) name = `${name}_ERROR`;
  return serverErrorNames.includes(name) ? name : null;
}
