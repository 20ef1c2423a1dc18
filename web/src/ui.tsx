import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { lang, languages, setLang, t } from "./i18n.js";
import { signal, useSignal } from "./signal.js";

export function LangSwitch() {
  const current = useSignal(lang);
  return (
    <label class="row inline">
      <span>{t("language")}</span>
      <select value={current} onChange={(e) => setLang((e.target as HTMLSelectElement).value as "en" | "es")} class="auto">
        {languages.map((l) => (
          <option value={l}>{l === "en" ? "English" : "Español"}</option>
        ))}
      </select>
    </label>
  );
}

/**
 * A screen: its heading takes focus when the screen changes (not when only the language does), so
 * screen readers announce it and the next Tab starts there; the tab title names the screen, in the
 * page's language.
 */
export function Screen(props: { title: string; children?: ComponentChildren; id?: string }) {
  const h = useRef<HTMLHeadingElement>(null);
  useEffect(() => h.current?.focus(), [props.id ?? props.title]);
  useEffect(() => {
    document.title = props.title;
  }, [props.title]);
  return (
    <section aria-labelledby="screen-title" data-screen={props.id}>
      <h1 id="screen-title" tabIndex={-1} ref={h}>
        {props.title}
      </h1>
      {props.children}
    </section>
  );
}

/** What the page's one polite live region says now. */
const announcement = signal("");
let pending: ReturnType<typeof setTimeout> | undefined;

/**
 * Says `text` through the live region (admission, the end of a visit, errors). The region is
 * emptied first and filled a moment later, so the same words said twice are read twice.
 */
export function announce(text: string): void {
  announcement.value = "";
  clearTimeout(pending);
  pending = setTimeout(() => (announcement.value = text), 100);
}

/** The page's one polite live region; render it once, outside the screens. */
export function LiveRegion() {
  const text = useSignal(announcement);
  return (
    <div class="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
      {text}
    </div>
  );
}
