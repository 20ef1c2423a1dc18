import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { lang, languages, setLang, t } from "./i18n.js";
import { useSignal } from "./signal.js";

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

/** A screen's heading takes focus when the screen changes, so screen readers announce it. */
export function Screen(props: { title: string; children?: ComponentChildren; id?: string }) {
  const h = useRef<HTMLHeadingElement>(null);
  useEffect(() => h.current?.focus(), [props.title]);
  return (
    <section aria-labelledby="screen-title" data-screen={props.id}>
      <h1 id="screen-title" tabIndex={-1} ref={h}>
        {props.title}
      </h1>
      {props.children}
    </section>
  );
}
