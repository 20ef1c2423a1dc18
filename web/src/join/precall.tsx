import { useEffect, useRef, useState } from "preact/hooks";
import { api, authHeaders, type Credential } from "../api.js";
import { t } from "../i18n.js";
import { Screen } from "../ui.js";

/**
 * Downloads filler from the service's probe and returns kbit/s. A small probe first sizes the
 * second, so a slow link is judged in seconds rather than made to download 256 KiB.
 */
export async function measureKbps(cred: Credential): Promise<number> {
  const once = async (bytes: number) => {
    const start = performance.now();
    const res = await fetch(`/v1/join/probe?bytes=${bytes}`, { headers: authHeaders(cred), cache: "no-store" });
    if (!res.ok) throw new Error(`probe ${res.status}`);
    const got = (await res.arrayBuffer()).byteLength;
    // bits per millisecond = kbit/s
    return (got * 8) / Math.max(1, performance.now() - start);
  };
  const first = await once(16 * 1024);
  if (first < 1000) return first;
  return Math.max(first, await once(256 * 1024));
}

type Media = { state: "asking" } | { state: "ok"; stream: MediaStream } | { state: "denied" } | { state: "none" };

export function PreCall(props: { cred: Credential; onDone: (fallback: boolean) => void }) {
  const [media, setMedia] = useState<Media>({ state: "asking" });
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [camera, setCamera] = useState("");
  const [mic, setMic] = useState("");
  const [kbps, setKbps] = useState<number | null>(null);
  const [fallback, setFallback] = useState<boolean | null>(null);
  const video = useRef<HTMLVideoElement>(null);

  useEffect(() => {
    let stream: MediaStream | undefined;
    let gone = false;
    const constraints = { video: camera ? { deviceId: { exact: camera } } : true, audio: mic ? { deviceId: { exact: mic } } : true };
    navigator.mediaDevices
      ?.getUserMedia(constraints)
      .then(async (s) => {
        if (gone) return s.getTracks().forEach((tr) => tr.stop());
        stream = s;
        setMedia({ state: "ok", stream: s });
        if (video.current) video.current.srcObject = s;
        setDevices(await navigator.mediaDevices.enumerateDevices());
      })
      .catch((err: DOMException) => setMedia({ state: err?.name === "NotAllowedError" ? "denied" : "none" }));
    if (!navigator.mediaDevices) setMedia({ state: "none" });
    // The camera is released before the video visit takes it.
    return () => {
      gone = true;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [camera, mic]);

  useEffect(() => {
    (async () => {
      const measured = Math.round(await measureKbps(props.cred));
      setKbps(measured);
      const r = await api<{ fallback: boolean }>(props.cred, "POST", "/v1/join/bandwidth", { kbps: measured });
      setFallback(r.fallback);
      if (r.fallback) props.onDone(true);
    })().catch(() => setFallback(false));
  }, []);

  const pick = (kind: MediaDeviceKind, label: string, chosen: string, set: (v: string) => void) => {
    const list = devices.filter((d) => d.kind === kind);
    if (list.length === 0) return null;
    // Until the person picks one, show the device the browser chose.
    const track = media.state === "ok" ? media.stream.getTracks().find((tr) => tr.kind === (kind === "videoinput" ? "video" : "audio")) : undefined;
    const value = chosen || track?.getSettings().deviceId || "";
    return (
      <label>
        {label}
        <select value={value} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
          {list.map((d, i) => (
            <option value={d.deviceId}>{d.label || `${label} ${i + 1}`}</option>
          ))}
        </select>
      </label>
    );
  };

  return (
    <Screen id="precall" title={t("precall.title")}>
      <video class="preview" ref={video} autoplay muted playsInline aria-label={t("precall.preview")} />
      {media.state === "denied" && <p class="error" role="alert">{t("precall.denied")}</p>}
      {media.state === "none" && <p class="notice">{t("precall.noDevices")}</p>}
      {pick("videoinput", t("precall.camera"), camera, setCamera)}
      {pick("audioinput", t("precall.microphone"), mic, setMic)}
      <h2>{t("precall.network")}</h2>
      <p role="status" data-testid="network">
        {kbps === null ? t("precall.measuring") : t("precall.speed", { kbps })}
      </p>
      <button disabled={fallback !== false} onClick={() => props.onDone(false)}>
        {t("precall.continue")}
      </button>
    </Screen>
  );
}
