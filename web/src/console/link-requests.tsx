import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { api, type AnswerOf, type Credential } from "../api.js";
import { lang, t } from "../i18n.js";
import { announce } from "./announcer.js";
import { usePatientNames } from "./patient-names.js";
import { problemMessage } from "../problem-message.js";

type LinkRequest = AnswerOf<"GET", "/v1/link-requests">["items"][number];

/** Often enough to see a request within the minute; the list is small and one GET reads it. */
const REFRESH_MS = 30_000;
const when = (iso: string) => new Intl.DateTimeFormat(lang.value, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));

/**
 * The notice of patients whose link expired and who asked for a new one (issue 19). "Send a new
 * link" issues one (the usual join-token route), shows and copies it, and closes the request;
 * "Dismiss" closes it without a link. Shown only while there is something in it; staff who may
 * not issue links get nothing (403) and see nothing.
 */
export function LinkRequests(props: { cred: Credential }) {
  const { cred } = props;
  const [items, setItems] = useState<LinkRequest[]>([]);
  const [issued, setIssued] = useState<{ who: string; link: string } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [dismissed, setDismissed] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const linkField = useRef<HTMLInputElement>(null);

  const load = () =>
    api(cred, "GET", "/v1/link-requests").then(
      (r) => setItems(r.items),
      () => undefined,
    );
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [cred.token]);
  // A new link replaces the row its button was in: focus goes to the link, never to the body. A
  // layout effect: in the same render as the field, not a frame later (a screen reader, or a
  // keyboard user typing on, would meanwhile be on the body).
  useLayoutEffect(() => {
    if (!issued) return;
    linkField.current?.focus();
    linkField.current?.select();
  }, [issued]);

  const nameOf = usePatientNames(cred, items.filter((r) => r.role === "patient").map((r) => r.patientId));
  const who = (r: LinkRequest) => (r.role === "patient" ? nameOf(r.patientId) : r.displayName);

  const close = async (r: LinkRequest) => {
    await api(cred, "POST", "/v1/link-requests/{id}/resolve", { path: { id: r.id } });
    setItems((all) => all.filter((x) => x.id !== r.id));
  };
  const send = async (r: LinkRequest) => {
    setMessage(null);
    setDismissed(false);
    try {
      const link = await api(cred, "POST", "/v1/sessions/{id}/participants/{pid}/join-token", { path: { id: r.sessionId, pid: r.participantId } });
      await navigator.clipboard?.writeText(link.joinUrl).catch(() => undefined);
      await close(r);
      setIssued({ who: who(r), link: link.joinUrl });
      announce(t("linkRequests.issued", { name: who(r) }));
    } catch (err) {
      setMessage(problemMessage(err));
    }
  };
  const dismiss = async (r: LinkRequest) => {
    setMessage(null);
    try {
      await close(r);
      // The section stays (saying so) so that focus has somewhere to go: its heading.
      setIssued(null);
      setDismissed(true);
      announce(t("linkRequests.dismissed"));
      heading.current?.focus();
    } catch (err) {
      setMessage(problemMessage(err));
    }
  };

  if (items.length === 0 && !issued && !message && !dismissed) return null;
  return (
    <section class="card notice" aria-labelledby="link-requests-title" data-testid="link-requests">
      <h2 id="link-requests-title" tabIndex={-1} ref={heading}>
        {items.length > 0 ? t("linkRequests.title", { n: items.length }) : t("linkRequests.titleNone")}
      </h2>
      {message && (
        <p class="error" role="alert">
          {message}
        </p>
      )}
      {dismissed && <p class="muted">{t("linkRequests.dismissed")}</p>}
      <ul class="link-requests">
        {items.map((r) => (
          <li key={r.id} class="row" data-link-request={r.id}>
            <span id={`link-request-${r.id}`}>
              <strong>{who(r)}</strong> <span class="muted">{t("linkRequests.when", { visit: when(r.scheduledStart), asked: when(r.requestedAt) })}</span>
            </span>
            <span class="row">
              <button onClick={() => void send(r)} aria-describedby={`link-request-${r.id}`}>
                {t("linkRequests.send")}
              </button>
              <button class="secondary" onClick={() => void dismiss(r)} aria-describedby={`link-request-${r.id}`}>
                {t("linkRequests.dismiss")}
              </button>
            </span>
          </li>
        ))}
      </ul>
      {issued && (
        <p>
          <label for="new-join-link">{t("linkRequests.issued", { name: issued.who })}</label>
          <input id="new-join-link" readOnly value={issued.link} ref={linkField} data-testid="new-join-link" />
        </p>
      )}
    </section>
  );
}
