import { useEffect, useState } from "preact/hooks";
import type { Credential, WaitingVisit } from "../api.js";
import { t } from "../i18n.js";
import { chime, notify } from "./alerts.js";
import { announce } from "./announcer.js";
import { followEvents } from "./live-events.js";
import { cachedName } from "./patient-names.js";
import { signInNeeded } from "./sign-in-state.js";

export type { WaitingVisit };

const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/**
 * Who is waiting, live, for the whole console (one stream, whatever tab is open). An arrival (a
 * visit new on the board, or with more people waiting than before) chimes, notifies and is
 * announced; the first board after (re)connecting counts arrivals against the last one known, so
 * a patient who arrived while the stream was down is still announced.
 */
export function useWaitingBoard(cred: Credential): WaitingVisit[] | null {
  const [items, setItems] = useState<WaitingVisit[] | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    let known: Map<string, number> | null = null;
    void followEvents(
      cred,
      "/v1/sessions/events",
      (event, data) => {
        if (event !== "waiting") return;
        const next = data.items;
        const arrived = known ? next.filter((v) => v.waiting > (known!.get(v.sessionId) ?? 0)) : [];
        known = new Map(next.map((v) => [v.sessionId, v.waiting]));
        setItems(next);
        if (arrived.length === 0) return;
        chime();
        for (const v of arrived) {
          const text = t("live.arrived", { time: time(v.waitingSince) });
          // The notification may show on a screen others see: no name. The live region is read to the clinician.
          notify(t("live.notificationTitle"), text, `waiting-${v.sessionId}`);
          const name = cachedName(v.patientId);
          announce(name ? t("live.arrivedNamed", { name, time: time(v.waitingSince) }) : text);
        }
      },
      { signal: abort.signal, onDenied: (status) => (signInNeeded.value = status === 401 ? "expired" : "forbidden") },
    );
    return () => abort.abort();
  }, [cred.token]);
  return items;
}

/** People waiting in all: the count in the tab title. */
export const waitingCount = (items: WaitingVisit[] | null) => (items ?? []).reduce((n, v) => n + v.waiting, 0);
