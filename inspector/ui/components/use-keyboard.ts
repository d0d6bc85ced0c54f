// The keyboard shortcuts (model/shortcuts.ts): one listener on the window, which leaves
// keys alone while the user types in a field, and Enter on a focused button to that button.

import { useEffect, useRef } from 'preact/hooks';
import { shortcutAction, type ShortcutAction } from '../model/shortcuts.ts';

/** What each action does; one that returns false did nothing, and its key keeps its default. */
export type ShortcutHandlers = Record<ShortcutAction, () => boolean | void>;

function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return !!element && (element.tagName === 'INPUT' || element.tagName === 'TEXTAREA' || element.isContentEditable);
}

export function useKeyboard(handlers: ShortcutHandlers): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    const listener = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTyping(event.target)) return;
      if (event.key === 'Enter' && (event.target as HTMLElement | null)?.tagName === 'BUTTON') return;
      const action = shortcutAction(event.key);
      if (action === null || latest.current[action]() === false) return;
      event.preventDefault();
    };
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);
}
