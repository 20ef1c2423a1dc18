import { useEffect, useRef, useState } from "preact/hooks";
import type { Credential } from "../api.js";
import { t } from "../i18n.js";
import { Screen } from "../ui.js";
import { DevicePickers } from "./devices.js";
import { verdictOf, type NetworkMeasurement, type Verdict } from "./network-check.js";
import { runNetworkCheck } from "./network-check-run.js";
import "./precall.css";

/** What the patient chose at the end of the device check; the page checks them in with it. */
export interface PreCallChoice {
  /** The slower direction measured, or null when the check could not run. */
  kbps: number | null;
  /** Below the clinic's threshold, the patient chose video anyway (recorded for the clinician). */
  videoAnyway: boolean;
}

type Media = { state: "asking" } | { state: "ok"; stream: MediaStream } | { state: "denied" } | { state: "none" };
type Network = { state: "measuring" } | { state: "done"; m: NetworkMeasurement; verdict: Verdict } | { state: "failed" };

export function PreCall(props: { cred: Credential; thresholdKbps: number; onDone: (choice: PreCallChoice) => void }) {
  const [media, setMedia] = useState<Media>({ state: "asking" });
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [camera, setCamera] = useState("");
  const [mic, setMic] = useState("");
  const [facing, setFacing] = useState<"user" | "environment">("user");
  const [audioOnly, setAudioOnly] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const [network, setNetwork] = useState<Network>({ state: "measuring" });
  const [run, setRun] = useState(0);
  const [busy, setBusy] = useState(false);
  const video = useRef<HTMLVideoElement>(null);

  useEffect(() => {
    let stream: MediaStream | undefined;
    let gone = false;
    if (!navigator.mediaDevices) return setMedia({ state: "none" });
    const videoWanted = audioOnly ? false : camera ? { deviceId: { exact: camera } } : { facingMode: facing };
    navigator.mediaDevices
      .getUserMedia({ video: videoWanted, audio: mic ? { deviceId: { exact: mic } } : true })
      .then(async (s) => {
        if (gone) return s.getTracks().forEach((tr) => tr.stop());
        stream = s;
        setMedia({ state: "ok", stream: s });
        if (video.current) video.current.srcObject = s;
        setDevices(await navigator.mediaDevices.enumerateDevices());
      })
      .catch((err: DOMException) => !gone && setMedia({ state: err?.name === "NotAllowedError" ? "denied" : "none" }));
    // The camera is released before the video visit takes it.
    return () => {
      gone = true;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [camera, mic, facing, audioOnly, attempt]);

  useEffect(() => {
    const stop = new AbortController();
    setNetwork({ state: "measuring" });
    runNetworkCheck(props.cred, stop.signal)
      .then((m) => !stop.signal.aborted && setNetwork({ state: "done", m, verdict: verdictOf(m.kbps, props.thresholdKbps) }))
      .catch(() => !stop.signal.aborted && setNetwork({ state: "failed" }));
    return () => stop.abort();
  }, [run]);

  const done = (videoAnyway: boolean) => {
    setBusy(true);
    props.onDone({ kbps: network.state === "done" ? network.m.kbps : null, videoAnyway });
  };
  // Continue is never silently enabled over a blocked camera or microphone: audio only is a choice.
  const mediaSettled = media.state === "ok" || media.state === "none" || audioOnly;
  const canGo = mediaSettled && network.state !== "measuring" && !busy;
  const slow = network.state === "done" && network.verdict === "slow";
  const cameras = devices.filter((d) => d.kind === "videoinput").length;
  const canFlip = cameras > 1 && !audioOnly && navigator.mediaDevices?.getSupportedConstraints?.().facingMode === true;

  return (
    <Screen id="precall" title={t("precall.title")}>
      {/* Painted with the screen and larger than any text that comes later (the verdict, the
          figures): what the patient first sees is the page's largest content (issue 19, LCP). */}
      <p class="intro" data-testid="precall-intro">
        {t("precall.intro")}
      </p>
      <video class="preview" ref={video} autoplay muted playsInline aria-label={t("precall.preview")} />
      {media.state === "denied" && !audioOnly && (
        <div class="error" role="alert" data-testid="media-denied">
          <p>{t("precall.denied")}</p>
          <div class="row">
            <button type="button" class="secondary" onClick={() => setAttempt((n) => n + 1)}>
              {t("precall.retry")}
            </button>
            <button type="button" class="secondary" onClick={() => setAudioOnly(true)}>
              {t("precall.audioOnly")}
            </button>
          </div>
        </div>
      )}
      {audioOnly && <p class="notice">{t("precall.audioOnlyChosen")}</p>}
      {media.state === "none" && <p class="notice">{t("precall.noDevices")}</p>}
      <h2>{t("precall.network")}</h2>
      <div class="network-result">
        <p role="status" data-testid="network" data-verdict={network.state === "done" ? network.verdict : network.state}>
          {network.state === "measuring" && t("precall.measuring")}
          {network.state === "failed" && t("precall.networkFailed")}
          {network.state === "done" && t(`precall.verdict.${network.verdict}`)}
        </p>
        {network.state === "done" && (
          <p class="muted" data-testid="network-figures" data-down={network.m.downKbps} data-up={network.m.upKbps}>
            {t("precall.figures", { down: network.m.downKbps, up: network.m.upKbps })}
          </p>
        )}
      </div>
      <div class="row actions">
        {slow ? (
          <>
            <button disabled={!canGo} onClick={() => done(false)}>
              {t("precall.written")}
            </button>
            <button class="secondary" disabled={!canGo} onClick={() => done(true)}>
              {t("precall.videoAnyway")}
            </button>
          </>
        ) : (
          <button disabled={!canGo} onClick={() => done(false)}>
            {t("precall.continue")}
          </button>
        )}
        <button type="button" class="secondary" disabled={network.state === "measuring" || busy} onClick={() => setRun((n) => n + 1)}>
          {t("precall.retest")}
        </button>
      </div>
      <DevicePickers stream={media.state === "ok" ? media.stream : null} devices={devices} camera={camera} mic={mic} setCamera={setCamera} setMic={setMic} />
      {canFlip && (
        <button type="button" class="secondary" onClick={() => (setCamera(""), setFacing((f) => (f === "user" ? "environment" : "user")))}>
          {t("precall.switchCamera")}
        </button>
      )}
    </Screen>
  );
}
