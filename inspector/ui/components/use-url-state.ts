// The view in the page URL, so it can be shared (model/url-state.ts): read once at
// start, written back as the filter, the open exchange and the token timeline change.

import { useEffect, useMemo } from 'preact/hooks';
import { readUrlState, writeUrlState, type UrlState } from '../model/url-state.ts';

export function useInitialUrlState(): UrlState {
  return useMemo(() => readUrlState(location.search), []);
}

/** The timeline's origin is written along but changes only with it, so it does not trigger a write. */
export function useUrlWriter(state: UrlState): void {
  useEffect(() => {
    history.replaceState(history.state, '', `${location.pathname}${writeUrlState(location.search, state)}`);
  }, [state.filter, state.open, state.timeline, state.timelineToken]);
}
