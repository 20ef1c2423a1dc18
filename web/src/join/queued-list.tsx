import { lang, t } from "../i18n.js";
import type { QueuedVisit } from "./offline-queue.js";

const PREVIEW = 80;

/**
 * What this person wrote that is still on the device, waiting for a connection: each message's
 * start, its attachments and when it was written — and that it sends itself (now or the next
 * time the link is opened), so nobody types it again.
 */
export function QueuedList(props: { items: QueuedVisit[] }) {
  if (props.items.length === 0) return null;
  const time = new Intl.DateTimeFormat(lang.value, { hour: "2-digit", minute: "2-digit" });
  return (
    <section class="queued" aria-labelledby="queued-title" data-testid="queued">
      <h2 id="queued-title">{t("queued.title", { n: String(props.items.length) })}</h2>
      <p>{t("queued.body")}</p>
      <ul>
        {props.items.map((v) => (
          <li key={v.key}>
            <q>{v.text.length > PREVIEW ? `${v.text.slice(0, PREVIEW)}…` : v.text}</q>
            <span class="muted">
              {" "}
              {t("queued.meta", { files: String(v.files.length), time: time.format(v.queuedAt) })}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
