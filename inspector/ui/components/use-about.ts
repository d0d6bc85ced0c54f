// What the server serves (GET /api/about): the running proxy, or a file that `open`
// serves read-only. Until it says, nothing that needs the proxy is offered.

import { useEffect, useState } from 'preact/hooks';
import type { InspectorAbout } from '../../../model/types.ts';
import type { Api } from '../services/api.ts';

export interface About {
  /** Served by the running proxy: what needs it (such as Resend) can be offered. */
  withProxy: boolean;
  /** The file served read-only, or null. */
  readOnlyFile: string | null;
}

export function useAbout(api: Api, fail: (err: unknown) => void): About {
  const [about, setAbout] = useState<InspectorAbout | null>(null);
  useEffect(() => {
    api.about().then(setAbout, fail);
  }, []);
  return { withProxy: about?.mode === 'live', readOnlyFile: about?.mode === 'read-only' ? about.file : null };
}
