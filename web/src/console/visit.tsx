import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Credential, type Schema } from "../api.js";
import { t } from "../i18n.js";
import { Video } from "../video.js";
import { AiSummaryReview } from "./ai-summary.js";
import { followEvents } from "./live-events.js";
import { usePatientNames } from "./patient-names.js";
import { problemMessage } from "../problem-message.js";
import { signInNeeded } from "./sign-in-state.js";
import { WaitingRoom, type Participant } from "./waiting-room.js";

export type Session = Schema["Session"];

/** One visit: its live waiting room (push), the join link, admission, cancel, end, and the video. */
export function VisitDetail(props: { cred: Credential; id: string; onClose: () => void }) {
  const { cred, id } = props;
  const [session, setSession] = useState<Session | null>(null);
  const [people, setPeople] = useState<Participant[]>([]);
  const [link, setLink] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const [video, setVideo] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const title = useRef<HTMLHeadingElement>(null);
  // The button that opened the visit is gone: its heading takes focus, as a page's screens do.
  useEffect(() => title.current?.focus(), [id]);

  const reload = async () => setSession(await api(cred, "GET", "/v1/sessions/{id}", { path: { id } }));
  useEffect(() => {
    void reload().catch((err) => setMessage(problemMessage(err)));
    const abort = new AbortController();
    // The participant list is pushed; each push also refreshes the visit's own status. A dropped
    // stream is reopened with growing waits; a refused sign-in is not retried (live-events.ts).
    void followEvents(
      cred,
      "/v1/sessions/{id}/events",
      (event, data) => {
        if (event !== "participants") return;
        setPeople(data.items);
        void reload().catch(() => undefined);
      },
      { path: { id }, signal: abort.signal, onDenied: (status) => (signInNeeded.value = status === 401 ? "expired" : "forbidden") },
    );
    return () => abort.abort();
  }, [id]);

  const act = (fn: () => Promise<unknown>) => async () => {
    setMessage(null);
    try {
      await fn();
      await reload();
    } catch (err) {
      setMessage(problemMessage(err));
    }
  };
  const nameOf = usePatientNames(cred, session ? [session.patientId] : []);
  const patient = people.find((p) => p.role === "patient");
  const clinician = people.find((p) => p.role === "clinician");
  const live = session && (session.status === "scheduled" || session.status === "in_progress");

  const copyLink = act(async () => {
    const r = await api(cred, "POST", "/v1/sessions/{id}/participants/{pid}/join-token", { path: { id, pid: patient!.id } });
    setLink(r.joinUrl);
    await navigator.clipboard?.writeText(r.joinUrl).catch(() => undefined);
  });
  // The clinician joins as a participant with its own join token: direct join, moderator JWT.
  const joinVideo = act(async () => {
    const { token } = await api(cred, "POST", "/v1/sessions/{id}/participants/{pid}/join-token", { path: { id, pid: clinician!.id } });
    const v = await api({ kind: "join", token }, "POST", "/v1/join/validate", { body: {} });
    if (v.videoJoinUrl) setVideo(v.videoJoinUrl);
  });

  if (video) return <Video url={video} onLeave={() => setVideo(null)} />;
  return (
    <section aria-labelledby="visit-title" data-session-id={id}>
      <p>
        <button class="secondary" onClick={props.onClose}>
          ← {t("console.visits")}
        </button>
      </p>
      <h1 id="visit-title" tabIndex={-1} ref={title}>
        <span data-testid="visit-patient">{session ? nameOf(session.patientId) : ""}</span> — <span data-testid="visit-status">{session ? t(`status.${session.status}`) : ""}</span>
      </h1>
      {message && <p class="error" role="alert">{message}</p>}
      {live && (
        <div class="row">
          {patient && <button onClick={copyLink}>{t("console.copyLink")}</button>}
          {clinician && <button onClick={joinVideo}>{t("console.joinVideo")}</button>}
        </div>
      )}
      {link && (
        <p>
          <label for="join-link">{t("console.copied")}</label>
          <input id="join-link" readOnly value={link} data-testid="join-link" />
        </p>
      )}
      <WaitingRoom cred={cred} sessionId={id} people={people} live={!!live} act={act} />
      {session && (session.status === "in_progress" || session.status === "fallback") && (
        <p>
          <button class="danger" onClick={act(() => api(cred, "POST", "/v1/sessions/{id}/end", { path: { id } }))}>{t("console.end")}</button>
        </p>
      )}
      {session?.status === "scheduled" && (
        <form class="card" onSubmit={(e) => (e.preventDefault(), void act(() => api(cred, "POST", "/v1/sessions/{id}/cancel", { path: { id }, body: { reason } }))())}>
          <label for="cancel-reason">{t("console.reason")}</label>
          <input id="cancel-reason" required maxLength={500} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          <p>
            <button class="danger" type="submit">{t("console.cancel")}</button>
          </p>
        </form>
      )}
      {session?.status === "ended" && <AiSummaryReview cred={cred} sessionId={id} />}
    </section>
  );
}
