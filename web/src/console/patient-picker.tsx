import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type Credential } from "../api.js";
import { t } from "../i18n.js";
import { rememberPatients, type PatientSummary } from "./patient-names.js";

const SEARCH_DELAY_MS = 250;

/**
 * The create form's patient field: an ARIA 1.2 combobox. Typing a name searches the patient
 * records (`GET /v1/patients?name=`) and lists matches (arrows move, Enter chooses, Escape closes);
 * what is typed and not chosen is taken as the patient id, so a visit can be created by id when
 * search finds nobody or the records cannot be read. The list floats over the form and the status
 * line keeps its height: nothing below moves while searching.
 */
export function PatientPicker(props: { cred: Credential; onChange: (patientId: string) => void; resetKey: number }) {
  const [text, setText] = useState("");
  const [chosen, setChosen] = useState<PatientSummary | null>(null);
  const [results, setResults] = useState<PatientSummary[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [status, setStatus] = useState("");
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    setText("");
    setChosen(null);
    setResults([]);
    setOpen(false);
    setStatus("");
  }, [props.resetKey]);

  useEffect(() => {
    if (chosen || text.trim().length < 2) {
      setResults([]);
      setOpen(false);
      if (!chosen) setStatus("");
      return;
    }
    const timer = setTimeout(async () => {
      abort.current?.abort();
      const controller = (abort.current = new AbortController());
      setStatus(t("live.searching"));
      try {
        const { items } = await api(props.cred, "GET", "/v1/patients", { query: { name: text.trim() } });
        if (controller.signal.aborted) return;
        rememberPatients(items);
        setResults(items);
        setActive(-1);
        setOpen(items.length > 0);
        setStatus(items.length > 0 ? t("live.matches", { n: items.length }) : t("live.noMatches"));
      } catch (err) {
        if (controller.signal.aborted) return;
        setResults([]);
        setOpen(false);
        setStatus(err instanceof ApiError && err.status === 400 ? t("live.noMatches") : t("live.searchUnavailable"));
      }
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, chosen]);

  const choose = (p: PatientSummary) => {
    setChosen(p);
    setText(p.name);
    setOpen(false);
    setStatus(`${t("console.patientId")}: ${p.id}`);
    props.onChange(p.id);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (results.length === 0) return;
      e.preventDefault();
      setOpen(true);
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((i) => (i + step + results.length) % results.length);
    } else if (e.key === "Enter" && open && active >= 0) {
      e.preventDefault();
      choose(results[active]!);
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      setOpen(false);
      setActive(-1);
    }
  };
  const optionId = (i: number) => `new-patient-option-${i}`;

  return (
    <>
      <label for="new-patient">{t("live.patientField")}</label>
      <div class="combo">
        <input
          id="new-patient"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls="new-patient-options"
          aria-activedescendant={open && active >= 0 ? optionId(active) : undefined}
          aria-describedby="new-patient-hint new-patient-status"
          autocomplete="off"
          required
          maxLength={128}
          value={text}
          onInput={(e) => {
            const value = (e.target as HTMLInputElement).value;
            setText(value);
            setChosen(null);
            props.onChange(value.trim());
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setOpen(false)}
        />
        <ul id="new-patient-options" role="listbox" aria-label={t("live.patient")} hidden={!open}>
          {results.map((p, i) => (
            <li
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              class={i === active ? "active" : undefined}
              // mousedown, not click: the input keeps focus (its blur would close the list first).
              onMouseDown={(e) => (e.preventDefault(), choose(p))}
            >
              <strong>{p.name}</strong>{" "}
              <span class="muted">
                {p.birthDate ? `${t("live.birthDate", { date: p.birthDate })} · ` : ""}
                {p.id}
              </span>
            </li>
          ))}
        </ul>
      </div>
      <p id="new-patient-hint" class="muted hint">
        {t("live.patientHint")}
      </p>
      <p id="new-patient-status" class="combo-status" role="status" data-testid="patient-search-status">
        {status}
      </p>
    </>
  );
}
