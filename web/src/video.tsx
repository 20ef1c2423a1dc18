import { useEffect, useRef, useState } from "preact/hooks";
import { lang, t } from "./i18n.js";
import { openVideo } from "./jitsi.js";

/** After a failed start the room is tried again by itself this often (and at once on "Try again"). */
const RETRY_MS = 15_000;

type State = "loading" | "ready" | "failed";

/**
 * While the video covers the window, everything else on the page is inert: out of the tab order
 * and the accessibility tree (the header's language picker lies under the overlay).
 */
function useInertOutside(stage: { current: HTMLElement | null }) {
  useEffect(() => {
    const made: Element[] = [];
    for (let el = stage.current; el && el !== document.body; el = el.parentElement) {
      for (const sibling of Array.from(el.parentElement?.children ?? [])) {
        if (sibling === el || sibling.hasAttribute("inert") || sibling.tagName === "SCRIPT") continue;
        sibling.setAttribute("inert", "");
        made.push(sibling);
      }
    }
    return () => made.forEach((el) => el.removeAttribute("inert"));
  }, []);
}

/**
 * The visit's Jitsi room, full window, with a leave button (patient and clinician alike). A room
 * that does not start says so, tries again, and — where the page offers one — the written visit.
 */
export function Video(props: { url: string; onLeave: () => void; displayName?: string; onWritten?: () => void }) {
  const stage = useRef<HTMLDivElement>(null);
  const frame = useRef<HTMLDivElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const [state, setState] = useState<State>("loading");
  const [attempt, setAttempt] = useState(0);
  const leave = useRef(props.onLeave);
  leave.current = props.onLeave;
  useInertOutside(stage);
  useEffect(() => heading.current?.focus(), []);

  useEffect(() => {
    setState("loading");
    return openVideo(props.url, frame.current!, {
      lang: lang.value,
      displayName: props.displayName,
      onReady: () => setState("ready"),
      onFailed: () => setState("failed"),
      onLeft: () => leave.current(),
    });
  }, [props.url, attempt]);

  useEffect(() => {
    if (state !== "failed") return;
    const timer = setTimeout(() => setAttempt((n) => n + 1), RETRY_MS);
    return () => clearTimeout(timer);
  }, [state, attempt]);

  return (
    <div class="video-stage" role="region" aria-label={t("video.title")} ref={stage} data-video-state={state}>
      <h1 class="sr-only" tabIndex={-1} ref={heading}>
        {t("video.title")}
      </h1>
      {state === "loading" && (
        <p class="video-note" role="status">
          {t("video.loading")}
        </p>
      )}
      {state === "failed" && (
        <div class="video-failed" role="alert" data-testid="video-failed">
          <h2>{t("video.failed.title")}</h2>
          <p>{t("video.failed.body")}</p>
          <p class="actions">
            <button onClick={() => setAttempt((n) => n + 1)}>{t("video.failed.retry")}</button>
            {props.onWritten && (
              <button class="secondary" onClick={props.onWritten}>
                {t("video.failed.written")}
              </button>
            )}
          </p>
        </div>
      )}
      <div class={state === "failed" ? "frame hidden" : "frame"} ref={frame} data-testid="video-frame" />
      <div class="controls">
        <button class="danger" onClick={props.onLeave}>
          {t("video.leave")}
        </button>
      </div>
    </div>
  );
}
