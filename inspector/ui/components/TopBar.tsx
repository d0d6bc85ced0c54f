// The bar above everything: the product name, the live stream's state (or the file
// `open` serves), the theme toggle and the shortcut help.

import type { LiveStatus } from '../services/live.ts';
import type { Theme } from './use-theme.ts';

const statusText: Record<LiveStatus, string> = {
  connecting: 'connecting…',
  live: 'live',
  offline: 'reconnecting…',
  unauthorized: 'token needed',
};

interface TopBarProps {
  status: LiveStatus;
  /** The file served with no proxy (`open`): nothing new arrives, so it is named instead of a live state. */
  readOnlyFile: string | null;
  theme: Theme;
  onToggleTheme: () => void;
  onHelp: () => void;
  onExport: () => void;
}

export function TopBar({ status, readOnlyFile, theme, onToggleTheme, onHelp, onExport }: TopBarProps) {
  return (
    <header class="top-bar">
      <span class="brand">
        <span class="brand-mark" aria-hidden="true" />
        ca2-inspector
      </span>
      {readOnlyFile !== null ? (
        <span class="live-status read-only" data-status="read-only" title="A recording opened with no proxy: nothing new arrives, and nothing can be resent">
          read-only: {readOnlyFile}
        </span>
      ) : (
        <span class={`live-status ${status}`} data-status={status} title="The live stream of new exchanges">
          <span class="dot" aria-hidden="true" />
          {statusText[status]}
        </span>
      )}
      <span class="spacer" />
      <button class="button" onClick={onExport} title="Export the current filter or the selected exchange, tokens redacted">
        Export
      </button>
      <button class="icon-button" onClick={onHelp} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
        ?
      </button>
      <button class="icon-button" onClick={onToggleTheme} title={`Switch to the ${theme === 'dark' ? 'light' : 'dark'} theme`} aria-label="Toggle theme">
        {theme === 'dark' ? '☀' : '☾'}
      </button>
    </header>
  );
}
