// The bar above everything: the product name, the live stream's state (or the file
// `open` serves), the Paused panel's button with its count, Break on…, the Rules panel's
// button, export, the theme toggle and the shortcut help.

import type { RuleView } from '../../../model/rules.ts';
import { rulesCount } from '../model/rules-panel.ts';
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
  /** The running proxy's rules, behind a button; null where no proxy runs (a file `open` serves): no button. */
  rules: RuleView[] | null;
  onRules: () => void;
  /** How many messages breakpoints hold; null where no proxy runs: no Paused or Break on… button. */
  paused: number | null;
  onPaused: () => void;
  onBreakOn: () => void;
}

export function TopBar({ status, readOnlyFile, theme, onToggleTheme, onHelp, onExport, rules, onRules, paused, onPaused, onBreakOn }: TopBarProps) {
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
      {paused !== null ? (
        <>
          <button class={`button paused-button${paused > 0 ? ' holding' : ''}`} onClick={onPaused} title="Messages held at breakpoints, to edit and let go">
            Paused
            <span class="paused-count">{paused}</span>
          </button>
          <button class="button break-button" onClick={onBreakOn} title="Arm a breakpoint: pause the messages a filter matches at a point">
            Break on…
          </button>
        </>
      ) : null}
      {rules !== null ? (
        <button class="button rules-button" onClick={onRules} title="The rules that change traffic in flight (proxy --rules FILE), with their hits and switches">
          Rules
          {rules.length > 0 ? <span class="rules-count">{rulesCount(rules)}</span> : null}
        </button>
      ) : null}
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
