import { useEffect, useState } from "preact/hooks";
import { api, authHeaders, type Credential } from "../api.js";
import { t } from "../i18n.js";

interface AsyncVisit {
  id: string;
  patientId: string;
  text: string;
  createdAt?: string;
  attachments: Array<{ id: string; filename: string; contentType: string }>;
}

/** Written visits waiting for review; attachments are fetched with the bearer token, never linked. */
export function Inbox(props: { cred: Credential }) {
  const [items, setItems] = useState<AsyncVisit[] | null>(null);
  const load = async () => setItems((await api<{ items: AsyncVisit[] }>(props.cred, "GET", "/v1/async-visits?limit=50")).items);
  useEffect(() => void load().catch(() => setItems([])), []);

  const openAttachment = async (visit: string, a: { id: string }) => {
    const res = await fetch(`/v1/async-visits/${visit}/attachments/${a.id}`, { headers: authHeaders(props.cred) });
    window.open(URL.createObjectURL(await res.blob()), "_blank", "noopener");
  };

  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">{t("console.inbox")}</h1>
      {items?.length === 0 && <p>{t("console.noInbox")}</p>}
      {items?.map((v) => (
        <article class="card" data-async-visit={v.id}>
          <h2>{v.patientId}</h2>
          <p class="pre">{v.text}</p>
          <div class="row">
            {v.attachments.map((a) => (
              <button class="secondary" onClick={() => void openAttachment(v.id, a)}>
                {t("console.attachment")}: {a.filename}
              </button>
            ))}
          </div>
          <p>
            <button onClick={async () => (await api(props.cred, "POST", `/v1/async-visits/${v.id}/review`), await load())}>{t("console.reviewed")}</button>
          </p>
        </article>
      ))}
    </section>
  );
}
