import { useEffect, useRef } from "preact/hooks";
import { api, type Credential, type Schema } from "../api.js";
import { t } from "../i18n.js";
import { announce } from "./announcer.js";

export type Participant = Schema["Participant"];

/**
 * The visit's people other than clinicians, as pushed: status, time waited, the pre-call check the
 * patient's browser reported, and admit / remove while the visit can be joined (a visit in fallback
 * refuses admission, so it offers none). The check's verdict is words, not a colour.
 */
export function WaitingRoom(props: {
  cred: Credential;
  sessionId: string;
  people: Participant[];
  live: boolean;
  act: (fn: () => Promise<unknown>) => () => Promise<void>;
}) {
  const { cred, sessionId: id, act } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  // A change pushed to the list is said once, in words ("Patient: waiting"), through the console's
  // live region: a live list would have the whole list read out again on every push.
  const seen = useRef<Map<string, string> | null>(null);
  useEffect(() => {
    const before = seen.current;
    seen.current = new Map(props.people.map((p) => [p.id, p.status]));
    if (!before) return;
    for (const p of props.people) {
      if (p.role !== "clinician" && before.has(p.id) && before.get(p.id) !== p.status) announce(`${p.displayName}: ${t(`pstatus.${p.status}`)}`);
    }
  }, [props.people]);
  // The pressed button leaves the list with the change; focus goes to the heading, not to the page top.
  const then = (fn: () => Promise<unknown>) => async () => {
    await act(fn)();
    heading.current?.focus();
  };
  return (
    <>
      <h2 tabIndex={-1} ref={heading}>
        {t("console.waitingRoom")}
      </h2>
      <ul data-testid="participants">
        {props.people
          .filter((p) => p.role !== "clinician")
          .map((p) => (
            <li data-participant={p.id} data-status={p.status}>
              <strong>{p.displayName}</strong> ({p.role}): {t(`pstatus.${p.status}`)}
              {p.waitingSince && p.status === "waiting" && ` — ${t("console.waitingSince", { time: new Date(p.waitingSince).toLocaleTimeString() })}`}
              {p.status !== "removed" && <Precall p={p} />}
              {p.status === "waiting" && props.live && (
                <button onClick={then(() => api(cred, "POST", "/v1/sessions/{id}/participants/{pid}/admit", { path: { id, pid: p.id } }))}>{t("console.admit")}</button>
              )}
              {p.status !== "removed" && props.live && (
                <button class="secondary gap" onClick={then(() => api(cred, "DELETE", "/v1/sessions/{id}/participants/{pid}", { path: { id, pid: p.id } }))}>
                  {t("console.remove")}
                </button>
              )}
            </li>
          ))}
      </ul>
    </>
  );
}

function Precall(props: { p: Participant }) {
  const { precallKbps: kbps, precallCheckedAt: at, precallBelowThreshold: low } = props.p;
  if (kbps === null || at === null) {
    return (
      <span class="precall" data-testid="precall">
        {t("console.precallNone")}
      </span>
    );
  }
  return (
    <span class={low ? "precall low" : "precall"} data-testid="precall" data-below={String(low === true)}>
      {t("console.precall", { kbps: Math.round(kbps), time: new Date(at).toLocaleTimeString() })} —{" "}
      <strong>{low ? t("console.precallLow") : t("console.precallOk")}</strong>
      {low && props.p.precallVideoAnyway && <span data-testid="video-anyway"> — {t("console.precallVideoAnyway")}</span>}
    </span>
  );
}
