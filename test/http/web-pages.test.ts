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

  it("when a join link is opened, then the page allows exactly its tenant's video domains, no inline script, and is never cached", async () => {
    const res = await app.request({ method: "GET", url: `/join?token=${encodeURIComponent(joinToken)}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/html");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(csp(res)).toContain("script-src 'self' https://video.clinic-web.example https://backup.clinic-web.example:8443;");
    expect(csp(res)).toContain("frame-src https://video.clinic-web.example https://backup.clinic-web.example:8443;");
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

  it("when the console is opened for a tenant, then its CSP names that tenant's video domains; its config says how to sign in", async () => {
    expect(csp(await app.request({ method: "GET", url: "/console?tenant=clinic-other" }))).toContain("frame-src https://video.other.example;");
    expect(csp(await app.request({ method: "GET", url: "/console" }))).toContain("frame-src 'none'");
    expect((await app.request({ method: "GET", url: "/console/config.json" })).json()).toEqual({ oidc: null });
  });

  it("when the built assets are asked for, then they are served immutable; the API, docs and OpenAPI paths are untouched", async () => {
    const page = (await app.request({ method: "GET", url: "/console" })).body;
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page)![1]!;
    const res = await app.request({ method: "GET", url: asset });
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toContain("immutable");
    expect((await app.request({ method: "GET", url: "/openapi.json" })).json().paths["/v1/join/events"]).toBeDefined();
    expect((await app.request({ method: "GET", url: "/v1/sessions", token: staff })).statusCode).toBe(200);
    expect((await app.request({ method: "GET", url: "/assets/nothing.js" })).statusCode).toBe(404);
  });

  it("when the bandwidth probe is used, then it needs a valid join token, is bounded in size, and refuses a seventh probe within a minute", async () => {
    const probe = (bytes: number, token?: string) => app.request({ method: "GET", url: `/v1/join/probe?bytes=${bytes}`, headers: token ? { "x-join-token": token } : {} });
    expect((await probe(4096)).statusCode).toBe(401);
    expect((await probe(10 * 1024 * 1024, joinToken)).statusCode).toBe(400);
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push(await probe(4096, joinToken));
    expect(answers.slice(0, 6).map((r) => r.rawPayload.length)).toEqual([4096, 4096, 4096, 4096, 4096, 4096]);
    expect(answers[0]!.headers["cache-control"]).toBe("no-store");
    expect(answers[6]!.statusCode).toBe(429);
    expect(answers[6]!.json().code).toBe("RATE_LIMITED");
  });
});
