// Looking up headers in a HeaderList (wire order, names as sent, duplicates kept): names
// compare without case, as HTTP says. No Node imports: the app reads headers too.

import type { HeaderList } from './types.ts';

/** The first value of the header, or undefined. `name` is lower case. */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  for (const [key, value] of headers) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** Every value of the header, in order. `name` is lower case. */
export function headerValues(headers: HeaderList, name: string): string[] {
  return headers.filter(([key]) => key.toLowerCase() === name).map(([, value]) => value);
}
