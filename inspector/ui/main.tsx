// Entry point of the inspector app (bundled by inspector/build.ts).

import { render } from 'preact';
import { App } from './components/App.tsx';
import { Api } from './services/api.ts';
import { loadUiToken } from './services/ui-token.ts';
import './styles.css';

render(<App api={new Api(loadUiToken())} />, document.getElementById('app')!);
