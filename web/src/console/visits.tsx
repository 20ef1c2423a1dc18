import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Credential } from "../api.js";
import { t } from "../i18n.js";
import { askForNotifications, canAskForNotifications } from "./alerts.js";
import type { Claims } from "./auth.js";
import type { WaitingVisit } from "./live-list.js";
import { usePatientNames } from "./patient-names.js";
import { PatientPicker } from "./patient-picker.js";
import { problemMessage } from "../problem-message.js";
import { VisitDetail, type Session } from "./visit.js";

const STATUSES: readonly Session["status"][] = ["scheduled", "in_progress", "fallback", "ended", "cancelled"];

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

const hhmm = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** Today's visits, with who is waiting pushed live (`board`), and the form that creates a visit. */
export function Visits(props: { cred: Credential; claims: Claims; board: WaitingVisit[] | null }) {
  const [filter, setFilter] = useState<Set<Session["status"]>>(new Set(["scheduled", "in_progress", "fallback"]));
  const [items, setItems] = useState<Session[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [patientId, setPatientId] = useState("");
  const [created, setCreated] = useState(0);
  const [start, setStart] = useState(localInputValue(new Date()));
  const [error, setError] = useState<string | null>(null);
  const [askAlerts, setAskAlerts] = useState(canAskForNotifications());
  const title = useRef<HTMLHeadingElement>(null);
  // Back from a visit, the button pressed is gone: the list's heading takes focus.
  useEffect(() => {
    if (!open) title.current?.focus();
  }, [open]);

  const load = async () => {
    try {
      setItems((await api(props.cred, "GET", "/v1/sessions", { query: { ...today(), limit: 100, status: [...filter] } })).items);
      setListError(null);
    } catch (err) {
      setListError(problemMessage(err));
      setItems((current) => current ?? []);
    }
  };
  useEffect(() => void load(), [filter]);

  // The board pushes who waits; a visit's own status (admitted: in progress) comes with the list.
  // So the list is read again when the board names a visit it does not show (created elsewhere
  // since) or stops naming one (admitted, removed, cancelled): not on every push.
  const waiting = new Map((props.board ?? []).map((v) => [v.sessionId, v]));
  const boardIds = [...waiting.keys()].sort().join();
  const lastBoard = useRef<string | null>(null);
  useEffect(() => {
    const before = lastBoard.current;
    lastBoard.current = boardIds;
    if (before === null || items === null) return;
    const shown = new Set(items.map((s) => s.id));
    const left = before.split(",").filter((id) => id && !waiting.has(id));
    if (left.length > 0 || [...waiting.keys()].some((id) => !shown.has(id) && filter.has(waiting.get(id)!.sessionStatus))) void load();
  }, [boardIds]);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const s = await api(props.cred, "POST", "/v1/sessions", {
        body: { patientId: patientId.trim(), providerId: props.claims.sub, scheduledStart: new Date(start).toISOString() },
      });
      setPatientId("");
      setCreated((n) => n + 1);
      await load();
      setOpen(s.id);
    } catch (err) {
      setError(problemMessage(err));
    }
  };

  const toggle = (s: Session["status"]) => {
    const next = new Set(filter);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    setFilter(next);
  };

  const nameOf = usePatientNames(props.cred, items?.map((s) => s.patientId) ?? []);

  if (open) return <VisitDetail cred={props.cred} id={open} onClose={() => (setOpen(null), void load())} />;
  return (
    <section aria-labelledby="visits-title">
      <h1 id="visits-title" tabIndex={-1} ref={title}>{t("console.visits")}</h1>
      {askAlerts && (
        <p class="notice row">
          <span>{t("live.alertsHint")}</span>
          <button
            class="secondary"
            onClick={() => {
              // The offer goes at once (the browser's own prompt takes over); focus stays in the list.
              setAskAlerts(false);
              title.current?.focus();
              void askForNotifications();
            }}
          >
            {t("live.alertsOn")}
          </button>
        </p>
      )}
      <fieldset class="row filters">
        <legend>{t("console.filter")}</legend>
        {STATUSES.map((s) => (
          <label class="row inline check">
            <input type="checkbox" checked={filter.has(s)} onChange={() => toggle(s)} /> {t(`status.${s}`)}
          </label>
        ))}
      </fieldset>
      {listError && <p class="error" role="alert">{listError}</p>}
      {/* Nothing is drawn below the list until it has loaded: a list arriving above the form would push it down (layout shift). */}
      <div class="visit-list" aria-busy={items === null}>
        {items === null ? (
          <p class="muted">{t("live.loading")}</p>
        ) : items.length === 0 ? (
          <p>{t("console.none")}</p>
        ) : (
          <table class="visits">
            <thead>
              <tr>
                <th scope="col">{t("console.start")}</th>
                <th scope="col">{t("live.patient")}</th>
                <th scope="col">{t("console.filter")}</th>
                <th scope="col"><span class="sr-only">{t("console.open")}</span></th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => {
                const w = waiting.get(s.id);
                return (
                  <tr data-session={s.id} data-waiting={w ? w.waiting : 0} class={w ? "waiting" : undefined}>
                    <td>{hhmm(s.scheduledStart)}</td>
                    <td class="patient" data-testid="row-patient">{nameOf(s.patientId)}</td>
                    <td data-testid="row-status">
                      {w ? <strong>{t("live.rowWaiting", { n: w.waiting, time: hhmm(w.waitingSince) })}</strong> : t(`status.${s.status}` as "status.scheduled")}
                    </td>
                    <td>
                      <button class="secondary" onClick={() => setOpen(s.id)} aria-label={`${t("console.open")} ${nameOf(s.patientId)}`}>
                        {t("console.open")}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
      {items !== null && (
        <>
          <h2>{t("console.create")}</h2>
          <form onSubmit={create} class="card">
            <PatientPicker cred={props.cred} onChange={setPatientId} resetKey={created} />
            <label for="new-start">{t("console.start")}</label>
            <input id="new-start" type="datetime-local" required value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} />
            {error && <p class="error" role="alert">{error}</p>}
            <p>
              <button type="submit">{t("console.createButton")}</button>
            </p>
          </form>
        </>
      )}
    </section>
  );
}
