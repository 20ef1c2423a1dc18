import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_TENANT, seedDemoTenant } from "../../src/dev/demo.js";
import { systemClock } from "../../src/composition/system-clock.js";
import { startRig, type Rig } from "../support/browser.js";
import { freePort } from "../support/nats.js";
import { CLIENT_ID, LocalOidcProvider, RESOURCE } from "../support/oidc.js";

/** Production sign-in: a real OpenID Connect provider, whose JWT access tokens the service checks via JWKS. */
describe("Browser: console sign-in with OpenID Connect", () => {
  let rig: Rig;
  let idp: LocalOidcProvider;
  beforeAll(async () => {
    const port = await freePort();
    idp = await LocalOidcProvider.start({ redirectUri: `http://127.0.0.1:${port}/console`, tenantId: DEMO_TENANT, roles: ["clinician", "scheduler"] });
    rig = await startRig({
      port,
      tenant: null,
      env: { AUTH_JWKS_URL: idp.jwksUrl, AUTH_ISSUER: idp.issuer, AUTH_AUDIENCE: RESOURCE, OIDC_CLIENT_ID: CLIENT_ID, OIDC_SCOPE: "openid vcs" },
    });
    await seedDemoTenant(rig.app.service.database.db, rig.app.dataDir, systemClock);
  });
  afterAll(async () => {
    await rig?.close();
    await idp?.stop();
  });

  it("when a clinician signs in at the provider (code + PKCE), then the console holds a token the service accepts and lists the tenant's visits", async () => {
    const ctx = await rig.context();
    const page = await rig.page(ctx);
    const authorizeRequests: string[] = [];
    page.on("request", (r) => r.url().startsWith(`${idp.issuer}/auth`) && authorizeRequests.push(r.url()));
    await page.goto(`${rig.base}/console`);
    expect(await rig.axe(page)).toEqual([]);
    await rig.screenshot(page, "console-sign-in");
    await page.getByRole("button", { name: "Sign in with your organisation" }).click();
    // node-oidc-provider's own development login form.
    await page.locator("input[name=login]").fill("dr-oidc");
    await page.locator("input[name=password]").fill("any");
    await page.locator("button[type=submit]").click();
    // …and its consent screen for the service's scope.
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "Today's visits" }).waitFor();

    const auth = new URL(authorizeRequests[0]!);
    expect(auth.searchParams.get("code_challenge_method")).toBe("S256");
    expect(auth.searchParams.get("response_type")).toBe("code");
    expect(page.url()).toBe(`${rig.base}/console?tenant=${DEMO_TENANT}`);

    await page.getByLabel("Patient id").fill("patient-oidc");
    await page.getByRole("button", { name: "Create visit" }).click();
    await page.getByRole("button", { name: "← Today's visits" }).click();
    await page.getByRole("cell", { name: "patient-oidc", exact: true }).waitFor();
    const listed = await rig.app.owner.query("select provider_id from virtual_sessions where tenant_id = $1", [DEMO_TENANT]);
    expect(listed.rows).toEqual([{ provider_id: "dr-oidc" }]);
    expect(ctx.cspViolations).toEqual([]);
  }, 90_000);
});
