import type { Credential } from "../api.js";

/**
 * The staff bearer token lives in sessionStorage (this tab only). The dev sign-in link carries it
 * in the URL fragment, which browsers never send to a server, so it reaches no access log; it is
 * removed from the address bar at once.
 */
const KEY = "vcs.staff-token";

export interface Claims {
  sub: string;
  tenant_id: string;
  roles: string[];
  exp?: number;
}

export function decodeClaims(token: string): Claims | null {
  try {
    const part = token.split(".")[1] ?? "";
    return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as Claims;
  } catch {
    return null;
  }
}

export function takeTokenFromFragment(): void {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m?.[1]) {
    sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

export function currentSession(): { cred: Credential; claims: Claims } | null {
  const token = sessionStorage.getItem(KEY);
  const claims = token ? decodeClaims(token) : null;
  if (!token || !claims?.tenant_id || (claims.exp && claims.exp * 1000 < Date.now())) return null;
  return { cred: { kind: "staff", token }, claims };
}

/**
 * Keeps the signed-in tenant in the console's URL (`?tenant=`), for people reading or bookmarking
 * it. The server no longer reads it (the page and its CSP are the same for every tenant), so this
 * rewrites the address in place instead of reloading; it always lets the page go on.
 */
export function ensureTenantInUrl(tenantId: string): boolean {
  const params = new URLSearchParams(location.search);
  if (params.get("tenant") !== tenantId) {
    params.set("tenant", tenantId);
    history.replaceState(history.state, "", `${location.pathname}?${params}${location.hash}`);
  }
  return true;
}
