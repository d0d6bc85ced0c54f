// Entry point of the inspector app (bundled by inspector/build.ts).

import { render } from 'preact';
import { App } from './components/App.tsx';
import { compileLiveFilter } from './model/live-filter.ts';
import { readUrlState } from './model/url-state.ts';
import { Api } from './services/api.ts';
import { removeTokenFromAddressBar } from './services/ui-token.ts';
import './styles.css';

removeTokenFromAddressBar();
const api = new Api();
// Ask for the first page before the first render, so the request and the render overlap.
const filter = readUrlState(location.search).filter.trim();
const firstPage = compileLiveFilter(filter).ok ? { filter, page: api.page({ filter }) } : null;
firstPage?.page.catch(() => undefined);

render(<App api={api} firstPage={firstPage} />, document.getElementById('app')!);
