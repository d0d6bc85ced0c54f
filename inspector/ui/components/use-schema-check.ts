// The message editor's check against the schema as the user types: a moment after the
// last keystroke the server encodes the JSON as sending it would (POST
// /api/messages/check). A newer text cancels the older question, and an answer counts
// only for the text it was asked about, so a slow answer never speaks for newer text.

import { useEffect, useState } from 'preact/hooks';
import type { MessageCheckRequest } from '../../../model/types.ts';
import { schemaCheckOf, type SchemaCheck } from '../model/replay.ts';
import type { Api } from '../services/api.ts';

/** Quiet time after the last keystroke before asking: typing a word asks once. */
export const CHECK_DELAY_MS = 250;

/** The check of `request` (null: nothing to check, and no verdict). */
export function useSchemaCheck(api: Api, request: MessageCheckRequest | null): SchemaCheck | null {
  const key = request === null ? null : JSON.stringify(request);
  const [answered, setAnswered] = useState<{ key: string; check: SchemaCheck } | null>(null);
  useEffect(() => {
    if (request === null || key === null) return;
    const abort = new AbortController();
    const timer = window.setTimeout(() => {
      api.checkMessage(request, abort.signal).then(
        (answer) => setAnswered({ key, check: schemaCheckOf(request.type, answer) }),
        (err: Error) => {
          if (err.name !== 'AbortError') setAnswered({ key, check: { state: 'unchecked', error: err.message } });
        },
      );
    }, CHECK_DELAY_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [key]);
  if (key === null) return null;
  return answered?.key === key ? answered.check : { state: 'checking' };
}
