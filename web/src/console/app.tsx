import { useEffect, useState } from "preact/hooks";
import { lang, t } from "../i18n.js";
import { useSignal } from "../signal.js";
import { LangSwitch, Screen } from "../ui.js";
import { unlockChimeOnFirstGesture } from "./alerts.js";
import { LiveRegion } from "./announcer.js";
import { currentSession, ensureTenantInUrl, signOut, storeToken, type Claims } from "./auth.js";
import { Inbox } from "./inbox.js";
import { LinkRequests } from "./link-requests.js";
import { useWaitingBoard, waitingCount } from "./live-list.js";
import { signInWithOidc, type OidcConfig } from "./oidc.js";
import { Settings } from "./settings.js";
import { signInNeeded } from "./sign-in-state.js";
import { Visits } from "./visits.js";
import type { Credential } from "../api.js";

type Tab = "visits" | "inbox" | "settings";
const tabTitle = { visits: "console.visits", inbox: "console.inbox", settings: "console.settings" } as const;

unlockChimeOnFirstGesture();

export function ConsoleApp(props: { oidc: OidcConfig | null }) {
  useSignal(lang);
  const ended = useSignal(signInNeeded);
  const [session, setSession] = useState(currentSession());
  // A refused credential (a stream or call answered 401/403) ends the sign-in: ask for a new one.
  useEffect(() => {
    if (ended && session) {
      signOut();
      setSession(null);
    }
  }, [ended]);
  useEffect(() => {
    if (!session) document.title = `${t("console.signIn")} – ${t("console.title")}`;
  }, [session, lang.value]);
  if (session && !ensureTenantInUrl(session.claims.tenant_id)) return null;
  return (
    <>
      <header class="bar">
        <strong>{t("console.title")}</strong>
        <div class="row">
          <LangSwitch />
          {session && (
            <button class="secondary" onClick={() => (signOut(), setSession(null))}>
              {t("console.signOut")}
            </button>
          )}
        </div>
      </header>
      <main>
        {!session ? (
          <SignIn
            oidc={props.oidc}
            reason={ended}
            onSignedIn={() => {
              signInNeeded.value = null;
              setSession(currentSession());
            }}
          />
        ) : (
          <SignedIn cred={session.cred} claims={session.claims} />
        )}
      </main>
      <LiveRegion />
    </>
  );
}

/** The signed-in console: its tabs, and the one live stream of who is waiting (its count in the tab title). */
function SignedIn(props: { cred: Credential; claims: Claims }) {
  const [tab, setTab] = useState<Tab>("visits");
  const board = useWaitingBoard(props.cred);
  const count = waitingCount(board);
  useEffect(() => {
    document.title = `${count > 0 ? `(${count}) ` : ""}${t(tabTitle[tab])} – ${t("console.title")}`;
  }, [count, tab, lang.value]);
  const tabButton = (name: Tab) => (
    <button class={tab === name ? "" : "secondary"} aria-current={tab === name ? "page" : undefined} onClick={() => setTab(name)}>
      {t(tabTitle[name])}
      {name === "visits" && count > 0 && <span class="badge" data-testid="waiting-count">{t("live.waitingBadge", { n: count })}</span>}
    </button>
  );
  return (
    <>
      <nav class="row" aria-label={t("console.title")}>
        {tabButton("visits")}
        {tabButton("inbox")}
        {props.claims.roles.includes("admin") && tabButton("settings")}
      </nav>
      <LinkRequests cred={props.cred} />
      {tab === "visits" && <Visits cred={props.cred} claims={props.claims} board={board} />}
      {tab === "inbox" && <Inbox cred={props.cred} />}
      {tab === "settings" && <Settings cred={props.cred} />}
    </>
  );
}

function SignIn(props: { oidc: OidcConfig | null; reason: null | "expired" | "forbidden"; onSignedIn: () => void }) {
  const [token, setToken] = useState("");
  const oidc = props.oidc;
  return (
    <Screen id="sign-in" title={t("console.signIn")}>
      {props.reason && (
        <p class="notice" data-testid="sign-in-reason">
          {t(props.reason === "expired" ? "live.signInExpired" : "live.signInForbidden")}
        </p>
      )}
      {oidc ? (
        <p>
          <button onClick={() => void signInWithOidc(oidc)}>{t("console.signInSso")}</button>
        </p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            storeToken(token.trim());
            props.onSignedIn();
          }}
        >
          <label for="dev-token">{t("console.devToken")}</label>
          <input id="dev-token" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
          <p>
            <button type="submit">{t("console.signIn")}</button>
          </p>
        </form>
      )}
    </Screen>
  );
}
