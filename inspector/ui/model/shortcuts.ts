// The keyboard shortcuts: which keys do what, for the key handler (use-keyboard.ts) and
// the sheet that lists them (Shortcuts.tsx).

export type ShortcutAction = 'next' | 'previous' | 'open' | 'close' | 'filter' | 'expand' | 'collapse' | 'live' | 'resend' | 'breakpoint' | 'help';

export interface Shortcut {
  action: ShortcutAction;
  /** KeyboardEvent.key values. */
  keys: string[];
  /** The keys as the sheet shows them. */
  shown: string[];
  what: string;
  /** Only where a proxy runs (not where `open` serves a file): the sheet lists it only there. */
  withProxy?: true;
}

export const shortcuts: Shortcut[] = [
  { action: 'next', keys: ['j', 'ArrowDown'], shown: ['j', '↓'], what: 'select the next (older) exchange' },
  { action: 'previous', keys: ['k', 'ArrowUp'], shown: ['k', '↑'], what: 'select the previous (newer) exchange' },
  { action: 'open', keys: ['Enter'], shown: ['Enter'], what: 'open the selected exchange' },
  { action: 'close', keys: ['Escape'], shown: ['Esc'], what: 'close the timeline or detail, then clear the selection' },
  { action: 'filter', keys: ['/'], shown: ['/'], what: 'focus the filter box (Tab completes, Enter applies)' },
  { action: 'expand', keys: ['l', 'ArrowRight'], shown: ['l', '→'], what: 'expand a WebSocket row into its frames' },
  { action: 'collapse', keys: ['h', 'ArrowLeft'], shown: ['h', '←'], what: 'collapse it again' },
  { action: 'live', keys: ['g'], shown: ['g'], what: 'back to the live edge' },
  { action: 'resend', keys: ['r'], shown: ['r'], what: 'resend the open exchange (new trx) and compare its answer', withProxy: true },
  { action: 'breakpoint', keys: ['b'], shown: ['b'], what: "break on the open exchange's service.operation at the request", withProxy: true },
  { action: 'help', keys: ['?'], shown: ['?'], what: 'this help' },
];

const byKey = new Map(shortcuts.flatMap((shortcut) => shortcut.keys.map((key) => [key, shortcut.action] as const)));

/** The action of a KeyboardEvent.key, or null. */
export function shortcutAction(key: string): ShortcutAction | null {
  return byKey.get(key) ?? null;
}
