// Tracks a scrolling element's scrollTop and height, at most once per animation
// frame, for the virtualised views (traffic list, hex dump).

import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export interface Viewport {
  scrollTop: number;
  height: number;
}

export function useViewport(ref: RefObject<HTMLElement>): Viewport {
  const [viewport, setViewport] = useState<Viewport>({ scrollTop: 0, height: 0 });
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    let frame = 0;
    const read = () => {
      frame = 0;
      setViewport((previous) =>
        previous.scrollTop === element.scrollTop && previous.height === element.clientHeight
          ? previous
          : { scrollTop: element.scrollTop, height: element.clientHeight },
      );
    };
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(read);
    };
    const resize = new ResizeObserver(read);
    resize.observe(element);
    element.addEventListener('scroll', onScroll, { passive: true });
    read();
    return () => {
      element.removeEventListener('scroll', onScroll);
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [ref]);
  return viewport;
}

/** A length custom property of an element in pixels (row heights live in the CSS, not in the code). */
export function cssPixels(element: Element | null, property: string, fallback: number): number {
  if (!element) return fallback;
  const value = parseFloat(getComputedStyle(element).getPropertyValue(property));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
