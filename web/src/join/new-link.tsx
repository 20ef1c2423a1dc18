import { useRef, useState } from "preact/hooks";
import { api, type Credential } from "../api.js";
import { t } from "../i18n.js";
import { announce } from "../ui.js";

/**
 * "Ask for a new link" on the expired-link screen (issue 19). The service answers the same
 * whatever it did (recorded, already asked, visit over), so the page says the same: the clinic
 * was told. Only a request the service did not take (no network, busy) says so, and may be sent
 * again.
 */
export function AskForNewLink(props: { cred: Credential }) {
  const [state, setState] = useState<"idle" | "sending" | "sent" | "failed">("idle");
  const said = useRef<HTMLParagraphElement>(null);
  const ask = async () => {
    setState("sending");
    try {
      await api(props.cred, "POST", "/v1/join/link-request");
      setState("sent");
      announce(t("newLink.sent"));
      // The button is gone: focus goes to what replaced it, not to the page's body.
      setTimeout(() => said.current?.focus(), 0);
    } catch {
      // Not received (no network, busy service): nothing was told, and the button stays.
      setState("failed");
      announce(t("newLink.failed"));
    }
  };
  if (state === "sent") {
    return (
      <p class="notice" tabIndex={-1} ref={said} data-testid="new-link-sent">
        {t("newLink.sent")}
      </p>
    );
  }
  return (
    <div data-testid="new-link">
      {state === "failed" && (
        <p class="error" role="alert">
          {t("newLink.failed")}
        </p>
      )}
      <p>
        <button onClick={() => void ask()} disabled={state === "sending"}>
          {t("newLink.ask")}
        </button>
      </p>
    </div>
  );
}
