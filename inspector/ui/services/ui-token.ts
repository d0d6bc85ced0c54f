// The UI token arrives in the link printed at start (?token=…). Loading that page has
// already stored it in an HttpOnly cookie (inspector/server/auth.ts), which every REST
// call and the live stream carry; the app never holds the token itself. It only takes
// it out of the address bar, so a copied URL shares the view but not the key.

import { takeToken } from '../model/url-state.ts';

export function removeTokenFromAddressBar(): void {
  const { token, search } = takeToken(location.search);
  if (token) history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`);
}
