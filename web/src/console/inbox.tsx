import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, apiUrl, authHeaders, type AnswerOf, type Credential } from "../api.js";
import { problemMessage } from "../problem-message.js";
import { lang, t } from "../i18n.js";
import { VisitDetail } from "./visit.js";

type AsyncVisit = AnswerOf<"GET", "/v1/async-visits">["items"][number];

const formatTime = (iso: string) => new Intl.DateTimeFormat(lang.value, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));

/** The one place an inbox item names its patient (a name lookup, when there is one, goes here). */
function PatientLabel(props: { patientId: string }) {
  return <>{props.patientId}</>;
}

/**
 * Written visits waiting for review: who sent what and when, the clinic's replies, a reply form, the
 * visit they belong to, and "Mark reviewed". Attachments are fetched with the bearer token, never linked.
 */
export function Inbox(props: { cred: Credential }) {
  const [items, setItems] = useState<AsyncVisit[] | null>(null);
  const [openVisit, setOpenVisit] = useState<string | null>(null);
  const [announce, setAnnounce] = useState("");
  const title = useRef<HTMLHeadingElement>(null);
  // Where focus goes once the list is drawn again: an item's heading, or the list's own heading.
  const focusNext = useRef<string | null>(null);

  // An unreadable inbox says why (by the problem's code), never "no messages".
  const [loadError, setLoadError] = useState<string | null>(null);
  const load = async () => {
    setItems((await api(props.cred, "GET", "/v1/async-visits", { query: { limit: 50 } })).items);
    setLoadError(null);
  };
  useEffect(() => void load().catch((err) => (setLoadError(problemMessage(err)), setItems([]))), []);
  useEffect(() => {
    const target = focusNext.current;
    if (target === null || items === null) return;
    focusNext.current = null;
    const heading = document.getElementById(`inbox-item-${target}`);
    (heading ?? title.current)?.focus();
  }, [items]);

  const openAttachment = async (visit: string, a: { id: string }) => {
    const res = await fetch(apiUrl("GET", "/v1/async-visits/{id}/attachments/{attachmentId}", { path: { id: visit, attachmentId: a.id } }), { headers: authHeaders(props.cred) });
    window.open(URL.createObjectURL(await res.blob()), "_blank", "noopener");
  };

  /**
   * The reviewed item leaves the list. Its button goes with it, so focus moves to the next item's
   * heading (or the list heading when it was the last), never to another item's button: a second
   * Enter must not mark the next message reviewed too.
   */
  const reviewed = async (visitId: string) => {
    const list = items ?? [];
    const at = list.findIndex((v) => v.id === visitId);
    const next = list[at + 1] ?? null;
    try {
      await api(props.cred, "POST", "/v1/async-visits/{id}/review", { path: { id: visitId } });
    } catch (err) {
      // Someone else reviewed it first: it leaves the list all the same.
      if (!(err instanceof ApiError && err.code === "INVALID_STATUS_TRANSITION")) throw err;
    }
    focusNext.current = next ? next.id : "";
    setAnnounce(t("inbox.reviewedDone"));
    await load();
  };

  if (openVisit) {
    return (
      <VisitDetail
        cred={props.cred}
        id={openVisit}
        onClose={() => {
          focusNext.current = "";
          setOpenVisit(null);
          void load();
        }}
      />
    );
  }
  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title" tabIndex={-1} ref={title}>
        {t("console.inbox")}
      </h1>
      <p role="status" class="sr-only" data-testid="inbox-status">
        {announce}
      </p>
      {loadError ? (
        <p class="error" role="alert">
          {loadError}
        </p>
      ) : (
        items?.length === 0 && <p>{t("console.noInbox")}</p>
      )}
      {items?.map((v) => (
        <InboxItem
          key={v.id}
          cred={props.cred}
          visit={v}
          onAttachment={(a) => void openAttachment(v.id, a)}
          onOpenVisit={() => v.sessionId && setOpenVisit(v.sessionId)}
          onReviewed={() => reviewed(v.id)}
          onReplied={async () => (setAnnounce(t("inbox.replySent")), await load())}
        />
      ))}
    </section>
  );
}

function InboxItem(props: {
  cred: Credential;
  visit: AsyncVisit;
  onAttachment: (a: { id: string }) => void;
  onOpenVisit: () => void;
  onReviewed: () => Promise<void>;
  onReplied: () => Promise<void>;
}) {
  const v = props.visit;
  const [reply, setReply] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // One Idempotency-Key per reply being written: a double click or a resend stores it once.
  const key = useRef(crypto.randomUUID());
  const headingId = `inbox-item-${v.id}`;

  const run = (work: () => Promise<void>, failed: string) => async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      // A refusal with words of its own says why; anything else says what did not happen.
      setError(problemMessage(err, failed));
    } finally {
      setBusy(false);
    }
  };
  const send = run(async () => {
    await api(props.cred, "POST", "/v1/async-visits/{id}/replies", { path: { id: v.id }, body: { text: reply }, headers: { "idempotency-key": key.current } });
    key.current = crypto.randomUUID();
    setReply("");
    await props.onReplied();
  }, t("inbox.replyFailed"));

  return (
    <article class="card" data-async-visit={v.id} aria-labelledby={headingId}>
      <h2 id={headingId} tabIndex={-1}>
        <PatientLabel patientId={v.patientId} />
      </h2>
      <p class="muted">
        <time dateTime={v.submittedAt}>{t("inbox.submitted", { time: formatTime(v.submittedAt) })}</time>
      </p>
      <p class="pre">{v.text}</p>
      {v.attachments.length > 0 && (
        <div class="row">
          {v.attachments.map((a) => (
            <button class="secondary" onClick={() => props.onAttachment(a)}>
              {t("console.attachment")}: {a.filename}
            </button>
          ))}
        </div>
      )}
      {v.replies.length > 0 && (
        <>
          <h3>{t("inbox.replies")}</h3>
          <ul class="replies">
            {v.replies.map((r) => (
              <li key={r.id} data-reply={r.id}>
                <p class="muted">
                  <time dateTime={r.repliedAt}>{t("inbox.repliedAt", { time: formatTime(r.repliedAt) })}</time>
                </p>
                <p class="pre">{r.text}</p>
              </li>
            ))}
          </ul>
        </>
      )}
      <form onSubmit={(e) => (e.preventDefault(), void send())}>
        <label for={`reply-${v.id}`}>{t("inbox.replyLabel")}</label>
        <textarea id={`reply-${v.id}`} rows={3} maxLength={5000} required value={reply} onInput={(e) => setReply((e.target as HTMLTextAreaElement).value)} />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="row">
          <button type="submit" disabled={busy}>
            {t("inbox.replySend")}
          </button>
          {v.sessionId && (
            <button type="button" class="secondary" onClick={props.onOpenVisit}>
              {t("inbox.openVisit")}
            </button>
          )}
          <button type="button" class="secondary" disabled={busy} onClick={run(props.onReviewed, t("inbox.reviewFailed"))}>
            {t("console.reviewed")}
          </button>
        </div>
      </form>
    </article>
  );
}
