import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, readEvents, type Credential } from "../api.js";
import { lang, t } from "../i18n.js";
import { useSignal } from "../signal.js";
import { LangSwitch, Screen } from "../ui.js";
import { Video } from "../video.js";
import { FallbackForm } from "./fallback.js";
import { PreCall } from "./precall.js";
import { refusalOf, type Refusal } from "./refusal.js";

interface JoinStatus {
  participantStatus: "invited" | "waiting" | "admitted";
  sessionStatus: string;
  videoJoinUrl?: string;
}

type View =
  | { kind: "checking" }
  | { kind: "refused"; why: Refusal }
  | { kind: "precall" }
  | { kind: "waiting" }
  | { kind: "video"; url: string }
  | { kind: "left" }
  | { kind: "fallback" };

const query = new URLSearchParams(location.search);
const token = query.get("token") ?? "";
// `?transport=poll` forces the polling fallback (the benchmark compares it with the push stream).
const forcePolling = query.get("transport") === "poll";
const POLL_MS = 2000;

export function JoinApp() {
  useSignal(lang);
  const cred: Credential = { kind: "join", token };
  const [view, setView] = useState<View>({ kind: "checking" });
  const [ready, setReady] = useState(false);
  const admittedUrl = useRef<string | null>(null);

  const refuse = (err: unknown) => setView({ kind: "refused", why: refusalOf(err) });
  const onStatus = (s: JoinStatus) => {
    if (s.sessionStatus === "fallback") return setView({ kind: "fallback" });
    if (s.videoJoinUrl) {
      admittedUrl.current = s.videoJoinUrl;
      setView((v) => (v.kind === "left" ? v : { kind: "video", url: s.videoJoinUrl! }));
    }
  };

  // Validate once; a reload of an admitted participant gets its video URL from the status read.
  useEffect(() => {
    if (!token) return refuse(new ApiError(401, "TOKEN_INVALID", {}));
    (async () => {
      const v = await api<{ destination: string; videoJoinUrl?: string }>(cred, "POST", "/v1/join/validate", {});
      if (v.videoJoinUrl) return setView({ kind: "video", url: v.videoJoinUrl });
      const s = await api<JoinStatus>(cred, "GET", "/v1/join/status");
      if (s.videoJoinUrl || s.sessionStatus === "fallback") return onStatus(s);
      setView({ kind: "precall" });
    })().catch((err) => {
      // A visit already moved to writing takes no one into its waiting room: straight to the form.
      if (err instanceof ApiError && err.problem.currentStatus === "fallback") return setView({ kind: "fallback" });
      refuse(err);
    });
  }, []);

  // The waiting room listens from the moment the link is valid, so an early admission is not missed.
  const listening = view.kind === "precall" || view.kind === "waiting";
  useEffect(() => {
    if (!listening) return;
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        onStatus(await api<JoinStatus>(cred, "GET", "/v1/join/status"));
      } catch (err) {
        if (err instanceof ApiError) return refuse(err);
      }
      if (!abort.signal.aborted) timer = setTimeout(poll, POLL_MS);
    };
    (async () => {
      // Push first; a proxy that cuts or buffers the stream twice sends us to polling.
      for (let failures = 0; !forcePolling && failures < 2 && !abort.signal.aborted; ) {
        try {
          await readEvents(cred, "/v1/join/events", (event, data) => (event === "status" ? onStatus(data as JoinStatus) : refuse(new ApiError(409, (data as { code: string }).code, data as Record<string, unknown>))), abort.signal);
          if (admittedUrl.current) return;
          failures += 1;
        } catch (err) {
          if (abort.signal.aborted) return;
          if (err instanceof ApiError) return refuse(err);
          failures += 1;
        }
      }
      if (!abort.signal.aborted) void poll();
    })();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [listening]);

  return (
    <>
      <header class="bar">
        <strong>{t("video.title")}</strong>
        <LangSwitch />
      </header>
      <main id="main">
        {view.kind === "checking" && <p role="status">{t("checking")}</p>}
        {view.kind === "refused" && (
          <Screen id={`refused-${view.why}`} title={t(`refused.${view.why}.title`)}>
            <p>{t(`refused.${view.why}.body`)}</p>
          </Screen>
        )}
        {view.kind === "precall" && !ready && (
          <PreCall cred={cred} onDone={(fallback) => (fallback ? setView({ kind: "fallback" }) : (setReady(true), setView({ kind: "waiting" })))} />
        )}
        {(view.kind === "waiting" || (view.kind === "precall" && ready)) && <Waiting />}
        {view.kind === "video" && <Video url={view.url} onLeave={() => setView({ kind: "left" })} />}
        {view.kind === "left" && (
          <Screen id="left" title={t("left.title")}>
            <button onClick={() => admittedUrl.current && setView({ kind: "video", url: admittedUrl.current })}>{t("left.rejoin")}</button>
          </Screen>
        )}
        {view.kind === "fallback" && <FallbackForm cred={cred} />}
      </main>
    </>
  );
}

function Waiting() {
  const [since] = useState(Date.now());
  const [, tick] = useState(0);
  useEffect(() => {
    const i = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(i);
  }, []);
  const s = Math.floor((Date.now() - since) / 1000);
  const time = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  return (
    <Screen id="waiting" title={t("waiting.title")}>
      <p class="notice">{t("waiting.body")}</p>
      <p aria-live="off">{t("waiting.time", { time })}</p>
      <p class="muted">{t("waiting.push")}</p>
    </Screen>
  );
}
