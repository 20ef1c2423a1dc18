import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n.js";

/** Pickers for camera, microphone and speaker, the microphone's level and a test sound. */
export function DevicePickers(props: {
  stream: MediaStream | null;
  devices: MediaDeviceInfo[];
  camera: string;
  mic: string;
  setCamera(id: string): void;
  setMic(id: string): void;
}) {
  const [speaker, setSpeaker] = useState("");
  const pick = (kind: MediaDeviceKind, label: string, chosen: string, set: (v: string) => void, id: string) => {
    const list = props.devices.filter((d) => d.kind === kind);
    // Until the person picks one, show the device the browser chose.
    const track = props.stream?.getTracks().find((tr) => tr.kind === (kind === "videoinput" ? "video" : "audio"));
    // (Speakers have no track: the first listed is the system's default output.)
    const value = chosen || (kind === "audiooutput" ? list[0]?.deviceId : track?.getSettings().deviceId) || "";
    // The row is always there (disabled until the devices are known), so nothing below it moves.
    return (
      <label for={id}>
        {label}
        <select id={id} value={value} disabled={list.length === 0} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
          {list.length === 0 && <option value="">{t("precall.loadingDevices")}</option>}
          {list.map((d, i) => (
            <option value={d.deviceId}>{d.label || `${label} ${i + 1}`}</option>
          ))}
        </select>
      </label>
    );
  };
  return (
    <div class="devices">
      {pick("videoinput", t("precall.camera"), props.camera, props.setCamera, "pick-camera")}
      {pick("audioinput", t("precall.microphone"), props.mic, props.setMic, "pick-mic")}
      <MicLevel stream={props.stream} />
      {canChooseSpeaker() && pick("audiooutput", t("precall.speaker"), speaker, setSpeaker, "pick-speaker")}
      <button type="button" class="secondary" onClick={() => void testSound(speaker)}>
        {t("precall.testSound")}
      </button>
    </div>
  );
}

/** Chromium and Firefox route audio to a chosen output; Safari cannot (the picker is not shown). */
const canChooseSpeaker = () => typeof AudioContext !== "undefined" && "setSinkId" in AudioContext.prototype;

/** A short two-tone chime on the chosen speaker. */
async function testSound(sinkId: string): Promise<void> {
  const ctx = new AudioContext();
  if (sinkId && "setSinkId" in ctx) await (ctx as AudioContext & { setSinkId(id: string): Promise<void> }).setSinkId(sinkId).catch(() => undefined);
  const gain = ctx.createGain();
  gain.gain.value = 0.2;
  gain.connect(ctx.destination);
  [660, 880].forEach((hz, i) => {
    const tone = ctx.createOscillator();
    tone.frequency.value = hz;
    tone.connect(gain);
    tone.start(ctx.currentTime + i * 0.35);
    tone.stop(ctx.currentTime + i * 0.35 + 0.3);
  });
  setTimeout(() => void ctx.close(), 1000);
}

/** The microphone's level (Web Audio), so the patient sees it hears them. */
function MicLevel(props: { stream: MediaStream | null }) {
  const [level, setLevel] = useState(0);
  useEffect(() => {
    if (!props.stream || props.stream.getAudioTracks().length === 0 || typeof AudioContext === "undefined") return;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(props.stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    // Ten readings a second are enough for a meter and cheap on a phone.
    const timer = setInterval(() => {
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const v of samples) peak = Math.max(peak, Math.abs(v - 128) / 128);
      setLevel(Math.round(peak * 100) / 100);
    }, 100);
    return () => {
      clearInterval(timer);
      void ctx.close();
    };
  }, [props.stream]);
  return (
    <label for="mic-level">
      {t("precall.micLevel")}
      <meter id="mic-level" min={0} max={1} low={0.05} value={level} data-testid="mic-level" />
    </label>
  );
}
