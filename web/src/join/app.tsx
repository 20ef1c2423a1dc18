import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, readEvents, type AnswerOf, type Credential, type StreamEventArgs } from "../api.js";
import { lang, t } from "../i18n.js";
import { useSignal } from "../signal.js";
import { announce, LangSwitch, LiveRegion, Screen } from "../ui.js";
import { Video } from "../video.js";
import { ClinicContact, ClinicName, useClinic } from "./clinic.js";
import { FallbackForm } from "./fallback.js";
import { AskForNewLink } from "./new-link.js";
import { forgetQueued } from "./offline-queue.js";
import { PreCall, type PreCallChoice } from "./precall.js";
import { refusalOf, type Refusal } from "./refusal.js";

type JoinStatus = AnswerOf<"GET", "/v1/join/status">;

type View =
  | { kind: "checking" }
  | { kind: "refused"; why: Refusal }
  | { kind: "precall"; thresholdKbps: number }
  | { kind: "waiting"; sinceLocal: number }
  | { kind: "video"; url: string }
  | { kind: "left" }
  | { kind: "fallback" };

const query = new URLSearchParams(location.search);
const token = query.get("token") ?? "";
// `?transport=poll` forces the polling fallback (the benchmark compares it with the push stream).
const forcePolling = query.get("transport") === "poll";
const POLL_MS = 2000;
/** A stream that stayed open this long before ending was not cut by a buffering proxy. */
const HEALTHY_STREAM_MS = 10_000;

/** The local moment the wait began, from the server's clocks (so a reload keeps the time waited). */
const waitStart = (s: JoinStatus) => Date.now() - Math.max(0, Date.parse(s.serverTime) - Date.parse(s.waitingSince ?? s.serverTime));

export function JoinApp() {
  useSignal(lang);
  const cred: Credential = { kind: "join", token };
  const [view, setView] = useState<View>({ kind: "checking" });
  const clinic = useClinic(cred);
  const current = useRef<View>(view);
  current.current = view;

  const refuse = (err: unknown) => {
    // A link that expires mid-call does not end the call; the visit's own end still does.
    if (current.current.kind === "video" && err instanceof ApiError && err.code === "TOKEN_EXPIRED") return;
    const why = refusalOf(err);
    // Nothing this person queued offline can reach the visit any more: off the (maybe shared) device.
    if (why === "ended" || why === "cancelled" || why === "removed") void forgetQueued(token).catch(() => undefined);
    setView({ kind: "refused", why });
  };
  // While the page checks the patient in, it decides the next screen itself (the pushed "waiting"
  // may arrive before the bandwidth report that could still move the visit to writing).
  const checkingIn = useRef(false);
  const onStatus = (s: JoinStatus) => {
    if (checkingIn.current) return;
    if (s.sessionStatus === "fallback") return setView({ kind: "fallback" });
    if (s.videoJoinUrl) return setView((v) => (v.kind === "left" || v.kind === "video" ? v : { kind: "video", url: s.videoJoinUrl! }));
    if (s.participantStatus === "waiting") setView((v) => (v.kind === "waiting" ? v : { kind: "waiting", sinceLocal: waitStart(s) }));
  };
  const failed = (err: unknown) => {
    // A visit already moved to writing takes no one into its waiting room: straight to the form.
    if (err instanceof ApiError && err.problem.currentStatus === "fallback") return setView({ kind: "fallback" });
    refuse(err);
  };

  // The link is checked by a read that moves no one: an invited patient does the device check
  // first and checks in (validate) only when they press Continue. A reload returns to where they were.
  useEffect(() => {
    if (!token) return refuse(new ApiError(401, "TOKEN_INVALID", {}));
    api(cred, "GET", "/v1/join/status")
      .then((s) => (s.participantStatus === "invited" && s.sessionStatus !== "fallback" ? setView({ kind: "precall", thresholdKbps: s.fallbackBandwidthKbps }) : onStatus(s)))
      .catch(failed);
  }, []);

  const checkIn = async (choice: PreCallChoice) => {
    checkingIn.current = true;
    try {
      const v = await api(cred, "POST", "/v1/join/validate", { body: {} });
      if (choice.kbps !== null) {
        const r = await api(cred, "POST", "/v1/join/bandwidth", { body: { kbps: choice.kbps, ...(choice.videoAnyway ? { videoAnyway: true } : {}) } });
        if (r.fallback) return setView({ kind: "fallback" });
      }
      if (v.videoJoinUrl) return setView({ kind: "video", url: v.videoJoinUrl });
      const s = await api(cred, "GET", "/v1/join/status");
      checkingIn.current = false;
      onStatus(s);
    } catch (err) {
      failed(err);
    } finally {
      checkingIn.current = false;
    }
  };

  // Rejoin asks the server first: an ended visit answers with its screen, never with its room.
  const rejoin = () => api(cred, "GET", "/v1/join/status").then((s) => (s.videoJoinUrl ? setView({ kind: "video", url: s.videoJoinUrl }) : onStatus(s)), failed);

  // Listens from the moment the link is valid until the visit is over — through the video too, so
  // an end, a cancel or a removal closes the call and shows its screen.
  const listening = view.kind === "precall" || view.kind === "waiting" || view.kind === "video" || view.kind === "left";
  useEffect(() => {
    if (!listening) return;
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        onStatus(await api(cred, "GET", "/v1/join/status"));
      } catch (err) {
        if (err instanceof ApiError) return refuse(err);
      }
      if (!abort.signal.aborted) timer = setTimeout(poll, POLL_MS);
    };
    const onEvent = (...[event, data]: StreamEventArgs<"/v1/join/events">) =>
      event === "status" ? onStatus(data) : refuse(new ApiError(409, data.code ?? "INTERNAL", data));
    (async () => {
      // Push first; a proxy that cuts or buffers the stream twice in a row sends us to polling.
      for (let failures = 0; !forcePolling && failures < 2 && !abort.signal.aborted; ) {
        const opened = Date.now();
        try {
          await readEvents(cred, "/v1/join/events", onEvent, abort.signal);
          failures = Date.now() - opened > HEALTHY_STREAM_MS ? 0 : failures + 1;
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

  // Admission, the end (or any refusal) and the move to writing are said by the live region.
  const said = view.kind === "refused" ? view.why : view.kind;
  useEffect(() => {
    if (view.kind === "video") announce(t("announce.admitted"));
    if (view.kind === "refused") announce(`${t(`refused.${view.why}.title`)}. ${t(`refused.${view.why}.body`)}`);
    if (view.kind === "fallback") announce(t("fallback.title"));
  }, [said]);

  return (
    <>
      {/* In the video the stage covers the page: the bar is not rendered, so nothing hidden takes focus. */}
      {view.kind !== "video" && (
        <header class="bar" style={clinic?.accentColor ? { borderBottom: `4px solid ${clinic.accentColor}` } : undefined}>
          <ClinicName clinic={clinic} />
          <LangSwitch />
        </header>
      )}
      <LiveRegion />
      <main id="main">
        {view.kind === "checking" && <p role="status">{t("checking")}</p>}
        {view.kind === "refused" && (
          <Screen id={`refused-${view.why}`} title={t(`refused.${view.why}.title`)}>
            <p>{t(`refused.${view.why}.body`)}</p>
            {view.why === "expired" && <AskForNewLink cred={cred} />}
            <ClinicContact clinic={clinic} unknown={view.why === "invalid"} />
          </Screen>
        )}
        {view.kind === "precall" && <PreCall cred={cred} thresholdKbps={view.thresholdKbps} onDone={(choice) => void checkIn(choice)} />}
        {view.kind === "waiting" && (
          <Waiting sinceLocal={view.sinceLocal}>
            <ClinicContact clinic={clinic} />
          </Waiting>
        )}
        {view.kind === "video" && <Video url={view.url} onLeave={() => setView({ kind: "left" })} onWritten={() => setView({ kind: "fallback" })} />}
        {view.kind === "left" && (
          <Screen id="left" title={t("left.title")}>
            <button onClick={() => void rejoin()}>{t("left.rejoin")}</button>
          </Screen>
        )}
        {view.kind === "fallback" && <FallbackForm cred={cred} />}
      </main>
    </>
  );
}

function Waiting(props: { sinceLocal: number; children?: ComponentChildren }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const i = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(i);
  }, []);
  const s = Math.max(0, Math.floor((Date.now() - props.sinceLocal) / 1000));
  const time = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  return (
    <Screen id="waiting" title={t("waiting.title")}>
      <p class="notice">{t("waiting.body")}</p>
      <p aria-live="off" data-testid="waited">{t("waiting.time", { time })}</p>
      <p class="muted">{t("waiting.push")}</p>
      {props.children}
    </Screen>
  );
}
