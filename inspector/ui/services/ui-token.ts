// The UI token: read once from the link printed at start (?token=…), kept for the
// tab's life in sessionStorage, and removed from the address bar so a copied URL
// shares the view but not the key.

import { takeToken } from '../model/url-state.ts';

const storageKey = 'ca2-inspector.token';

export function loadUiToken(): string | null {
  const { token, search } = takeToken(location.search);
  if (token) {
    try {
      sessionStorage.setItem(storageKey, token);
    } catch {
      // Storage disabled: the token still works for this page load.
    }
    history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`);
    return token;
  }
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}
