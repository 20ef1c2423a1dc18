import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";

/** Issue 11, defence in depth: rate limits per client address, join token and tenant. */
describe("rate limits (PostgreSQL)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await bootApp({ env: { RATE_LIMIT_ANONYMOUS_PER_MIN: "5", RATE_LIMIT_PARTICIPANT_PER_MIN: "8", RATE_LIMIT_TENANT_PER_MIN: "20" } });
    await configureTenant(app, "rl-a");
    await configureTenant(app, "rl-b");
  });
  afterAll(() => app.close());

  const expect429 = (res: { statusCode: number; headers: Record<string, unknown>; json(): any }) => {
    expect(res.statusCode).toBe(429);
    expect(String(res.headers["content-type"])).toContain("application/problem+json");
    expect(res.json().code).toBe("RATE_LIMITED");
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
  };

  it("anonymous join validation is limited per client address", async () => {
    const send = (ip: string) => app.service.app.inject({ method: "POST", url: "/v1/join/validate", remoteAddress: ip, payload: { token: "x.y.z" } });
    for (let i = 0; i < 5; i++) expect((await send("198.51.100.7")).statusCode).toBe(401);
    expect429(await send("198.51.100.7"));
    expect((await send("198.51.100.8")).statusCode).toBe(401); // another address has its own budget
  });

  it("patient routes are limited per join token, staff routes per tenant", async () => {
    const scheduler = await staffToken("rl-a", ["scheduler"]);
    const session = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() })).json();
    const pid = session.participants[0].id;
    const token = (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, token: scheduler })).json().token;
    const poll = () => app.request({ method: "GET", url: "/v1/join/status", headers: { "x-join-token": token } });
    for (let i = 0; i < 8; i++) expect((await poll()).statusCode).toBe(200);
    expect429(await poll());

    let last = await app.request({ method: "GET", url: "/v1/sessions", token: scheduler });
    for (let i = 0; i < 25 && last.statusCode !== 429; i++) last = await app.request({ method: "GET", url: "/v1/sessions", token: scheduler });
    expect429(last);
    // Another tenant is not starved.
    expect((await app.request({ method: "GET", url: "/v1/sessions", token: await staffToken("rl-b", ["scheduler"]) })).statusCode).toBe(200);
    expect((await app.request({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });

  it("asking for a new link is limited per join token, as the other patient routes are (issue 19)", async () => {
    const scheduler = await staffToken("rl-b", ["scheduler"]);
    const session = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() })).json();
    const tokenOf = async (pid: string) => (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, token: scheduler })).json().token;
    const ask = (token: string) => app.request({ method: "POST", url: "/v1/join/link-request", headers: { "x-join-token": token } });
    const patient = await tokenOf(session.participants[0].id);
    for (let i = 0; i < 8; i++) expect((await ask(patient)).statusCode).toBe(202);
    expect429(await ask(patient));
    // Another participant's link has its own budget.
    const other = (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants`, token: scheduler, body: { role: "caregiver", displayName: "C" } })).json();
    expect((await ask(await tokenOf(other.id))).statusCode).toBe(202);
  });

  it("the OpenAPI document names 429 on the counted routes", () => {
    const doc = app.service.app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(doc.paths["/v1/join/validate"]!.post!.responses["429"]).toBeDefined();
    expect(doc.paths["/v1/sessions"]!.get!.responses["429"]).toBeDefined();
  });
});
