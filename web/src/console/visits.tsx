import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Credential } from "../api.js";
import { t } from "../i18n.js";
import type { Claims } from "./auth.js";
import { VisitDetail, type Session } from "./visit.js";

const STATUSES = ["scheduled", "in_progress", "fallback", "ended", "cancelled"] as const;

function today(): { from: string; to: string } {
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  const end = new Date(start.getTime() + 24 * 3600_000);
  return { from: start.toISOString(), to: end.toISOString() };
}

function localInputValue(d: Date): string {
  const off = d.getTimezoneOffset() * 60_000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}

export function Visits(props: { cred: Credential; claims: Claims }) {
  const [filter, setFilter] = useState<Set<string>>(new Set(["scheduled", "in_progress", "fallback"]));
  const [items, setItems] = useState<Session[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [patientId, setPatientId] = useState("");
  const [start, setStart] = useState(localInputValue(new Date()));
  const [error, setError] = useState<string | null>(null);
  const title = useRef<HTMLHeadingElement>(null);
  // Back from a visit, the button pressed is gone: the list's heading takes focus.
  useEffect(() => {
    if (!open) title.current?.focus();
  }, [open]);

  const load = async () => {
    const q = new URLSearchParams({ ...today(), limit: "100" });
    for (const s of filter) q.append("status", s);
    setItems((await api<{ items: Session[] }>(props.cred, "GET", `/v1/sessions?${q}`)).items);
  };
  useEffect(() => void load().catch(() => setItems([])), [filter]);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const s = await api<Session>(props.cred, "POST", "/v1/sessions", {
        patientId: patientId.trim(),
        providerId: props.claims.sub,
        scheduledStart: new Date(start).toISOString(),
      });
      setPatientId("");
      await load();
      setOpen(s.id);
    } catch (err) {
      setError(String((err as { problem?: { detail?: string } }).problem?.detail ?? err));
    }
  };

  const toggle = (s: string) => {
    const next = new Set(filter);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    setFilter(next);
  };

  if (open) return <VisitDetail cred={props.cred} id={open} onClose={() => (setOpen(null), void load())} />;
  return (
    <section aria-labelledby="visits-title">
      <h1 id="visits-title" tabIndex={-1} ref={title}>{t("console.visits")}</h1>
      <fieldset class="row">
        <legend>{t("console.filter")}</legend>
        {STATUSES.map((s) => (
          <label class="row inline">
            <input type="checkbox" checked={filter.has(s)} onChange={() => toggle(s)} /> {t(`status.${s}`)}
          </label>
        ))}
      </fieldset>
      {items === null ? null : items.length === 0 ? (
        <p>{t("console.none")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("console.start")}</th>
              <th scope="col">{t("console.patientId")}</th>
              <th scope="col">{t("console.filter")}</th>
              <th scope="col"><span class="sr-only">{t("console.open")}</span></th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr data-session={s.id}>
                <td>{new Date(s.scheduledStart).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}</td>
                <td>{s.patientId}</td>
                <td>{t(`status.${s.status}` as "status.scheduled")}</td>
                <td>
                  <button class="secondary" onClick={() => setOpen(s.id)} aria-label={`${t("console.open")} ${s.patientId}`}>
                    {t("console.open")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t("console.create")}</h2>
      <form onSubmit={create} class="card">
        <label for="new-patient">{t("console.patientId")}</label>
        <input id="new-patient" required maxLength={128} value={patientId} onInput={(e) => setPatientId((e.target as HTMLInputElement).value)} />
        <label for="new-start">{t("console.start")}</label>
        <input id="new-start" type="datetime-local" required value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} />
        {error && <p class="error" role="alert">{error}</p>}
        <p>
          <button type="submit">{t("console.createButton")}</button>
        </p>
      </form>
    </section>
  );
}
