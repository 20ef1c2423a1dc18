import { useState } from "preact/hooks";
import { lang, t } from "../i18n.js";
import { useSignal } from "../signal.js";
import { LangSwitch, Screen } from "../ui.js";
import { currentSession, ensureTenantInUrl, signOut, storeToken } from "./auth.js";
import { Inbox } from "./inbox.js";
import { signInWithOidc, type OidcConfig } from "./oidc.js";
import { Settings } from "./settings.js";
import { Visits } from "./visits.js";

export function ConsoleApp(props: { oidc: OidcConfig | null }) {
  useSignal(lang);
  const [session, setSession] = useState(currentSession());
  const [tab, setTab] = useState<"visits" | "inbox" | "settings">("visits");
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
          <SignIn oidc={props.oidc} onSignedIn={() => setSession(currentSession())} />
        ) : (
          <>
            <nav class="row" aria-label={t("console.title")}>
              <button class={tab === "visits" ? "" : "secondary"} aria-current={tab === "visits" ? "page" : undefined} onClick={() => setTab("visits")}>
                {t("console.visits")}
              </button>
              <button class={tab === "inbox" ? "" : "secondary"} aria-current={tab === "inbox" ? "page" : undefined} onClick={() => setTab("inbox")}>
                {t("console.inbox")}
              </button>
              {session.claims.roles.includes("admin") && (
                <button class={tab === "settings" ? "" : "secondary"} aria-current={tab === "settings" ? "page" : undefined} onClick={() => setTab("settings")}>
                  {t("console.settings")}
                </button>
              )}
            </nav>
            {tab === "visits" && <Visits cred={session.cred} claims={session.claims} />}
            {tab === "inbox" && <Inbox cred={session.cred} />}
            {tab === "settings" && <Settings cred={session.cred} />}
          </>
        )}
      </main>
    </>
  );
}

function SignIn(props: { oidc: OidcConfig | null; onSignedIn: () => void }) {
  const [token, setToken] = useState("");
  const oidc = props.oidc;
  return (
    <Screen id="sign-in" title={t("console.signIn")}>
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
