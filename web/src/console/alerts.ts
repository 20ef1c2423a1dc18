/**
 * How a clinician busy elsewhere learns that a patient arrived: a short chime (Web Audio, no sound
 * file to fetch) and a desktop notification. Browsers play audio only after the person interacted
 * with the page, and ask for notifications only from a click: so the first click or key press in
 * the console unlocks the chime, and a button asks for notifications, once.
 */
let audio: AudioContext | null = null;

export function unlockChimeOnFirstGesture(): void {
  const unlock = () => {
    window.removeEventListener("pointerdown", unlock, true);
    window.removeEventListener("keydown", unlock, true);
    try {
      audio ??= new AudioContext();
      void audio.resume();
    } catch {
      audio = null; // no Web Audio: the list, title and notification still tell
    }
  };
  window.addEventListener("pointerdown", unlock, true);
  window.addEventListener("keydown", unlock, true);
}

/** Two soft rising tones, a quarter second in all. */
export function chime(): void {
  if (!audio || audio.state !== "running") return;
  const start = audio.currentTime;
  for (const [i, freq] of [660, 880].entries()) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    const at = start + i * 0.14;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.13);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + 0.14);
  }
}

const ASKED_KEY = "vcs.notifications-asked";

/** True while the console may still offer to turn notifications on (never asked on this device, not decided). */
export function canAskForNotifications(): boolean {
  return "Notification" in window && Notification.permission === "default" && localStorage.getItem(ASKED_KEY) === null;
}

/** Called from the button's click (browsers refuse a request without a gesture); asks once per device. */
export async function askForNotifications(): Promise<void> {
  localStorage.setItem(ASKED_KEY, new Date().toISOString());
  await Notification.requestPermission().catch(() => "denied");
}

/**
 * A desktop notification without the patient's name: it shows on a screen others may see (and in
 * the system's notification history). One per visit at a time (`tag`); a click brings the console up.
 */
export function notify(title: string, body: string, tag: string): void {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const n = new Notification(title, { body, tag, lang: document.documentElement.lang });
    n.onclick = () => {
      window.focus();
      n.close();
    };
  } catch {
    // Some browsers allow notifications only from a service worker: the chime and title still tell.
  }
}
