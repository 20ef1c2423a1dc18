import { useEffect, useState } from "preact/hooks";
import { api, type AnswerOf, type Credential } from "../api.js";
import { lang, t } from "../i18n.js";
import { useSignal } from "../signal.js";

type OwnVisit = AnswerOf<"GET", "/v1/join/async-visits">["items"][number];

const when = (iso: string) => new Intl.DateTimeFormat(lang.value, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));

/**
 * What this link's holder sent in writing, and the clinic's replies (GET /v1/join/async-visits):
 * after a reload the patient still sees their messages, and opening the link again shows the answer.
 * `refresh` changes when a message was just sent. Nothing is shown until there is something to show.
 */
export function WrittenHistory(props: { cred: Credential; refresh?: unknown }) {
  useSignal(lang);
  const [items, setItems] = useState<OwnVisit[]>([]);
  useEffect(() => {
    let live = true;
    api(props.cred, "GET", "/v1/join/async-visits")
      .then((r) => live && setItems(r.items))
      // The form stays usable without the history: a failed read shows nothing rather than an error.
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [props.refresh]);

  if (items.length === 0) return null;
  return (
    <section aria-labelledby="history-title" data-testid="written-history">
      <h2 id="history-title">{t("history.title")}</h2>
      {items.map((v) => (
        <article key={v.id} class="card" data-own-visit={v.id}>
          <p class="muted">
            <time dateTime={v.submittedAt}>{t("history.sentAt", { time: when(v.submittedAt) })}</time>
          </p>
          <p class="pre">{v.text}</p>
          {v.attachments.length > 0 && <p class="muted">{t("history.attached", { names: v.attachments.map((a) => a.filename).join(", ") })}</p>}
          {v.replies.length === 0 ? (
            <p class="muted">{t("history.noReply")}</p>
          ) : (
            v.replies.map((r) => (
              <div key={r.id} class="notice" data-reply={r.id}>
                <p class="muted">
                  <time dateTime={r.repliedAt}>{t("history.reply", { time: when(r.repliedAt) })}</time>
                </p>
                <p class="pre">{r.text}</p>
              </div>
            ))
          )}
        </article>
      ))}
    </section>
  );
}
