import { storeToken } from "./auth.js";

export interface OidcConfig {
  authority: string;
  clientId: string;
  scope: string;
}

/**
 * OpenID Connect sign-in (authorization code + PKCE, oidc-client-ts), loaded only when the service
 * has a provider configured. The access token (a JWT the service verifies through AUTH_JWKS_URL)
 * becomes the console's bearer token.
 */
async function manager(cfg: OidcConfig) {
  const { UserManager, WebStorageStateStore } = await import("oidc-client-ts");
  return new UserManager({
    authority: cfg.authority,
    client_id: cfg.clientId,
    // Registered without a query: the tenant is put back once the token names it.
    redirect_uri: `${location.origin}/console`,
    scope: cfg.scope,
    response_type: "code",
    loadUserInfo: false,
    userStore: new WebStorageStateStore({ store: sessionStorage }),
  });
}

export async function loadOidcConfig(): Promise<OidcConfig | null> {
  const res = await fetch("/console/config.json", { cache: "no-store" });
  return res.ok ? ((await res.json()) as { oidc: OidcConfig | null }).oidc : null;
}

export async function signInWithOidc(cfg: OidcConfig): Promise<void> {
  await (await manager(cfg)).signinRedirect();
}

/** Back from the provider with `?code=…&state=…`: trade the code for tokens, then clean the URL. */
export async function completeOidcSignIn(cfg: OidcConfig): Promise<void> {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") || !params.has("state")) return;
  const user = await (await manager(cfg)).signinRedirectCallback();
  storeToken(user.access_token);
  history.replaceState(null, "", location.pathname);
}
