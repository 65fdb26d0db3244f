import { render } from 'preact';
import { forgetLegacyTokens } from './api.js';
import { App } from './app.js';
import './styles.css';

forgetLegacyTokens();

// A file dropped outside the drop zone must not make the browser leave the app to open it.
for (const type of ['dragover', 'drop'] as const) {
  window.addEventListener(type, (event) => event.preventDefault());
}

const root = document.getElementById('root');
if (root) render(<App />, root);
