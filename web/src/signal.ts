import { useEffect, useState } from "preact/hooks";

/** A tiny observable value (instead of a state library): the language and the sign-in use it. */
export interface Signal<T> {
  value: T;
  subscribe(fn: () => void): () => void;
}

export function signal<T>(start: T): Signal<T> {
  let current = start;
  const subs = new Set<() => void>();
  return {
    get value() {
      return current;
    },
    set value(v: T) {
      current = v;
      subs.forEach((fn) => fn());
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}

/** Re-renders the component when the signal changes. */
export function useSignal<T>(s: Signal<T>): T {
  const [, force] = useState(0);
  useEffect(() => s.subscribe(() => force((n) => n + 1)), [s]);
  return s.value;
}
