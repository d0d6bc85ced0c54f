// Short confirmations ("Copied auth.login.email") at the bottom of the window.

import { useEffect, useState } from 'preact/hooks';

const eventName = 'ca2-toast';

export function showToast(text: string): void {
  window.dispatchEvent(new CustomEvent<string>(eventName, { detail: text }));
}

export function Toast() {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    let timer = 0;
    const onToast = (event: Event) => {
      setText((event as CustomEvent<string>).detail);
      clearTimeout(timer);
      timer = window.setTimeout(() => setText(null), 1800);
    };
    window.addEventListener(eventName, onToast);
    return () => {
      window.removeEventListener(eventName, onToast);
      clearTimeout(timer);
    };
  }, []);
  return text ? (
    <div class="toast" role="status">
      {text}
    </div>
  ) : null;
}
