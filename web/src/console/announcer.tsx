import { signal, useSignal } from "../signal.js";

/** What the console's live region says next (arrivals, errors, changes a screen reader would miss). */
const message = signal<{ text: string; n: number }>({ text: "", n: 0 });

export function announce(text: string): void {
  // The counter makes a repeated sentence a new message: the region re-renders and is read again.
  message.value = { text, n: message.value.n + 1 };
}

/** The console's one polite live region: always in the page, so it exists before anything is said into it. */
export function LiveRegion() {
  const m = useSignal(message);
  return (
    <div class="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="console-announcer">
      <span key={m.n}>{m.text}</span>
    </div>
  );
}
