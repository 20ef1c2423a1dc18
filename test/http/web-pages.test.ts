import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";

/** The pages' HTTP answers (the browser suites in test/browser drive what they do). Needs `npm run build:web`. */
describe("web pages: /join and /console", () => {
  let app: TestApp;
  let staff: string;
  let joinToken: string;

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "clinic-web", { videoBackends: [{ name: "primary", domain: "video.clinic-web.example" }, { name: "backup", domain: "backup.clinic-web.example:8443" }] });
    await configureTenant(app, "clinic-other", { videoBackends: [{ name: "primary", domain: "video.other.example" }] });
    staff = await staffToken("clinic-web", ["clinician"]);
    const s = (await app.request({ method: "POST", url: "/v1/sessions", token: staff, body: sessionBody() })).json();
    const patient = s.participants.find((p: { role: string }) => p.role === "patient");
    joinToken = (await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${patient.id}/join-token`, token: staff })).json().token;
  });
  afterAll(() => app.close());

  const csp = (res: { headers: Record<string, unknown> }) => String(res.headers["content-security-policy"]);

  it("when a join link is opened, then the page frames exactly its tenant's video domains, runs script from none of them, no inline script, and is never cached", async () => {
    const res = await app.request({ method: "GET", url: `/join?token=${encodeURIComponent(joinToken)}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/html");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    // The tenant's video domain is a tenant setting: it gets a frame of its own origin, never script in ours.
    expect(csp(res)).toContain("script-src 'self';");
    expect(csp(res)).toContain("frame-src https://video.clinic-web.example https://backup.clinic-web.example:8443;");
    expect(res.headers["permissions-policy"]).toBe(
      ["camera", "microphone", "display-capture"].map((f) => `${f}=(self "https://video.clinic-web.example" "https://backup.clinic-web.example:8443")`).join(", "),
    );
    expect(csp(res)).not.toContain("unsafe-inline");
    expect(csp(res)).not.toContain("video.other.example");
    expect(res.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
  });

  it("when the link's token does not verify, then the page still answers (to show its screen) but allows no video domain", async () => {
    const res = await app.request({ method: "GET", url: "/join?token=forged" });
    expect(res.statusCode).toBe(200);
    expect(csp(res)).toContain("frame-src 'none'");
    expect(csp(res)).toContain("script-src 'self';");
  });

  it("when the console is opened with any ?tenant=, then the answer is the same for a tenant that exists and one that does not (no tenant oracle), with no video script; its config says how to sign in", async () => {
    const known = await app.request({ method: "GET", url: "/console?tenant=clinic-other" });
    const unknown = await app.request({ method: "GET", url: "/console?tenant=no-such-clinic" });
    const bare = await app.request({ method: "GET", url: "/console" });
    const shown = (res: typeof known) => ({ status: res.statusCode, csp: csp(res), permissions: res.headers["permissions-policy"], body: res.body });
    expect(shown(known)).toEqual(shown(unknown));
    expect(shown(known)).toEqual(shown(bare));
    expect(csp(known)).toContain("script-src 'self';");
    expect(csp(known)).toContain("frame-src https:;");
    expect(csp(known)).not.toContain("video.other.example");
    expect((await app.request({ method: "GET", url: "/console/config.json" })).json()).toEqual({ oidc: null });
  });

  it("when the built assets are asked for, then they are served immutable; the API, docs and OpenAPI paths are untouched", async () => {
    const page = (await app.request({ method: "GET", url: "/console" })).body;
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page)![1]!;
    const res = await app.request({ method: "GET", url: asset });
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toContain("immutable");
    // A script run as a worker (the patient page's network check) takes this policy: our API only.
    expect(csp(res)).toBe("default-src 'none'; connect-src 'self'; frame-ancestors 'none'");
    expect((await app.request({ method: "GET", url: "/openapi.json" })).json().paths["/v1/join/events"]).toBeDefined();
    expect((await app.request({ method: "GET", url: "/v1/sessions", token: staff })).statusCode).toBe(200);
    expect((await app.request({ method: "GET", url: "/assets/nothing.js" })).statusCode).toBe(404);
    // The tab icon every browser asks for is there (no 404 in the console or in Lighthouse).
    const icon = await app.request({ method: "GET", url: "/favicon.ico" });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers["content-type"]).toMatch(/^image\/svg\+xml/);
  });

  it("when the bandwidth probes are used, then they need a valid join token, are bounded in size, and refuse beyond a byte budget per minute", async () => {
    const probe = (bytes: number, token?: string) => app.request({ method: "GET", url: `/v1/join/probe?bytes=${bytes}`, headers: token ? { "x-join-token": token } : {} });
    const upload = (bytes: number, token?: string) =>
      app.service.app.inject({
        method: "POST",
        url: "/v1/join/probe",
        headers: { "content-type": "application/octet-stream", ...(token ? { "x-join-token": token } : {}) },
        payload: Buffer.alloc(bytes, 7),
      });
    expect((await probe(4096)).statusCode).toBe(401);
    expect((await upload(4096)).statusCode).toBe(401);
    expect((await probe(10 * 1024 * 1024, joinToken)).statusCode).toBe(400);
    expect((await upload(2 * 1024 * 1024, joinToken)).statusCode).toBe(400);
    expect((await upload(10, joinToken)).statusCode).toBe(400);

    const small = await probe(4096, joinToken);
    expect(small.rawPayload.length).toBe(4096);
    expect(small.headers["cache-control"]).toBe("no-store");
    const up = await upload(4096, joinToken);
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json()).toEqual({ bytes: 4096 });
    // 4 MiB a minute each way: three 1 MiB probes fit beside the small one, a fourth does not.
    const big = [];
    for (let i = 0; i < 4; i++) big.push(await probe(1024 * 1024, joinToken));
    expect(big.slice(0, 3).map((r) => r.rawPayload.length)).toEqual([1048576, 1048576, 1048576]);
    expect(big[3]!.statusCode).toBe(429);
    expect(big[3]!.json().code).toBe("RATE_LIMITED");
    const ups = [];
    for (let i = 0; i < 4; i++) ups.push(await upload(1024 * 1024, joinToken));
    expect(ups.map((r) => r.statusCode)).toEqual([200, 200, 200, 429]);
  });
});
