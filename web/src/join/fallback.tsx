import { useEffect, useMemo, useState } from "preact/hooks";
import { apiUrl, type Credential } from "../api.js";
import { t } from "../i18n.js";
import { Screen } from "../ui.js";
import { dequeue, enqueue, ownerOf, queuedFor, type QueuedVisit } from "./offline-queue.js";
import { QueuedList } from "./queued-list.js";
import { WrittenHistory } from "./written-history.js";

/**
 * sent: stored (delete it). queued: no answer, 5xx or 429 — keep it for later. rejected: refused
 * for good (the visit was cancelled, the person removed, too late, too big) — delete it. held: the
 * link itself was refused (401) — keep it for another link of the same person.
 */
type Outcome = "sent" | "queued" | "failed" | "rejected" | "held" | "dropped";

/** multipart/form-data with XHR: fetch reports no upload progress. */
function upload(cred: Credential, v: QueuedVisit, onProgress: (p: number) => void): Promise<Outcome> {
  const form = new FormData();
  form.append("text", v.text);
  for (const f of v.files) form.append("attachments", f, f.name);
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", apiUrl("POST", "/v1/async-visits"));
    xhr.setRequestHeader("x-join-token", cred.token);
    xhr.setRequestHeader("idempotency-key", v.key);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () =>
      resolve(xhr.status < 300 ? "sent" : xhr.status >= 500 || xhr.status === 429 ? "queued" : xhr.status === 401 ? "held" : "rejected");
    // No answer at all: the network is down (or went down mid-upload) — keep it for later.
    xhr.onerror = () => resolve("queued");
    xhr.send(form);
  });
}

export function FallbackForm(props: { cred: Credential }) {
  const [text, setText] = useState("");
  const [photos, setPhotos] = useState<File[]>([]);
  const [files, setFiles] = useState<File[]>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const [pending, setPending] = useState<QueuedVisit[]>([]);
  // Whose queue this page may read and send: the person its join link names (a shared phone holds others').
  const owner = useMemo(() => ownerOf(props.cred.token), [props.cred.token]);
  const refresh = async () => setPending(await queuedFor(await owner));

  // Sends what this person's queue holds, once per key: on load and whenever the browser comes back online.
  useEffect(() => {
    let busy = false;
    const flush = async () => {
      if (busy) return;
      busy = true;
      try {
        const me = await owner;
        for (const v of navigator.onLine ? await queuedFor(me) : []) {
          const r = await upload(props.cred, v, setProgress);
          if (r === "queued" || r === "held") break;
          await dequeue(me, v.key);
          // A saved message refused for good is gone: "try again" would be a false promise.
          setOutcome(r === "sent" ? "sent" : "dropped");
        }
      } finally {
        busy = false;
        await refresh();
      }
    };
    void flush();
    addEventListener("online", flush);
    return () => removeEventListener("online", flush);
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const visit: QueuedVisit = { key: crypto.randomUUID(), owner: await owner, text, files: [...photos, ...files], queuedAt: Date.now() };
    // Stored before the first try: a page closed mid-upload still sends it next time.
    await enqueue(visit);
    setProgress(0);
    const r = navigator.onLine ? await upload(props.cred, visit, setProgress) : "queued";
    if (r !== "queued" && r !== "held") await dequeue(visit.owner, visit.key);
    setOutcome(r === "rejected" || r === "held" ? "failed" : r);
    // Queued, it is listed below as waiting: not also left in the box as if still unsent.
    if (r === "queued") setText("");
    await refresh();
  };

  const pickFiles = (set: (f: File[]) => void) => (e: Event) => set([...((e.target as HTMLInputElement).files ?? [])]);

  return (
    <Screen id="fallback" title={t("fallback.title")}>
      <p>{t("fallback.body")}</p>
      <WrittenHistory cred={props.cred} refresh={outcome} />
      {outcome === "sent" ? (
        <p class="notice" role="status" data-testid="fallback-outcome">
          {t("fallback.sent")}
        </p>
      ) : (
        <form onSubmit={submit}>
          <label for="fb-text">{t("fallback.text")}</label>
          <textarea id="fb-text" rows={5} maxLength={10000} required value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
          <label for="fb-photo">{t("fallback.photo")}</label>
          <input id="fb-photo" type="file" accept="image/jpeg,image/png" capture="environment" onChange={pickFiles(setPhotos)} />
          <label for="fb-file">{t("fallback.file")}</label>
          <input id="fb-file" type="file" accept="image/jpeg,image/png,application/pdf" multiple onChange={pickFiles(setFiles)} />
          {progress !== null && (
            <>
              <label for="fb-progress">{t("fallback.progress")}</label>
              <progress id="fb-progress" max={1} value={progress} />
            </>
          )}
          {outcome === "queued" && <p class="notice" role="status" data-testid="fallback-outcome">{t("fallback.queued")}</p>}
          {outcome === "failed" && <p class="error" role="alert">{t("fallback.failed")}</p>}
          {outcome === "dropped" && <p class="error" role="alert">{t("fallback.dropped")}</p>}
          <p>
            <button type="submit" disabled={outcome === "queued"}>{t("fallback.send")}</button>
          </p>
        </form>
      )}
      <QueuedList items={pending} />
    </Screen>
  );
}
