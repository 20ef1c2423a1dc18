import { useEffect, useRef, useState } from "preact/hooks";
import { lang, t } from "./i18n.js";
import { openVideo } from "./jitsi.js";

/** The visit's Jitsi room, full window, with a leave button (patient and clinician alike). */
export function Video(props: { url: string; onLeave: () => void; displayName?: string }) {
  const frame = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let leave: (() => void) | undefined;
    let gone = false;
    openVideo(props.url, frame.current!, { lang: lang.value, displayName: props.displayName, onLeft: props.onLeave })
      .then((l) => (gone ? l() : (leave = l)))
      .catch(() => setFailed(true));
    return () => {
      gone = true;
      leave?.();
    };
  }, [props.url]);
  return (
    <div class="video-stage" role="region" aria-label={t("video.title")}>
      <div class="frame" ref={frame} data-testid="video-frame">
        {failed && <p class="error">{t("refused.other.body")}</p>}
      </div>
      <div class="controls">
        <button class="danger" onClick={props.onLeave}>
          {t("video.leave")}
        </button>
      </div>
    </div>
  );
}
