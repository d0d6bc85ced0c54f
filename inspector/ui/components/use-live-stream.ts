// The live stream (socket.io), connected once for the whole app. Whatever shows live
// data listens to the events it needs with useLiveEvent(stream, 'batch', …): the live
// tail, expanded WebSocket rows and the open detail each do.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LiveListeners, type LiveListenerEvents } from '../model/live-listeners.ts';
import { connectLive, type LiveStatus } from '../services/live.ts';

export interface LiveStream {
  status: LiveStatus;
  listeners: LiveListeners;
}

/** `onRefused`: the server refused the token, with its sentence. */
export function useLiveStream(onRefused: (message: string) => void): LiveStream {
  const listeners = useMemo(() => new LiveListeners(), []);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  useEffect(
    () =>
      connectLive(listeners, (next, message) => {
        setStatus(next);
        if (next === 'unauthorized' && message) onRefused(message);
      }),
    [],
  );
  return { status, listeners };
}

/** Listens while the component is mounted; the listener of the latest render is the one called. */
export function useLiveEvent<E extends keyof LiveListenerEvents>(stream: LiveStream, event: E, listener: LiveListenerEvents[E]): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => {
    const forward = (...args: unknown[]) => (latest.current as (...args: unknown[]) => void)(...args);
    return stream.listeners.on(event, forward as LiveListenerEvents[E]);
  }, [stream.listeners, event]);
}
