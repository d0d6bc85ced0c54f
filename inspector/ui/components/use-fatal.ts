// The one trouble that stops the whole app: the inspector lacks its token, as a REST
// call or the live stream says. Every request hands its failure to `fail`.

import { useCallback, useState } from 'preact/hooks';
import { ApiError } from '../services/api.ts';

export interface Fatal {
  /** The sentence shown in place of the traffic, or null. */
  message: string | null;
  /** Notes a failed request: a refused token stops the app, other failures are the caller's to show. */
  fail: (err: unknown) => void;
  /** Stops the app with this sentence. */
  stop: (message: string) => void;
}

export function useFatal(): Fatal {
  const [message, setMessage] = useState<string | null>(null);
  const fail = useCallback((err: unknown) => {
    if (err instanceof ApiError && err.isAuth) setMessage(err.message);
  }, []);
  return { message, fail, stop: setMessage };
}
