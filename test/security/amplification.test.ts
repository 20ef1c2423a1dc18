import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";

/** Issue 11, defect 1: a validation error must not grow with the input. */
describe("validation-error amplification (PostgreSQL)", () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "amp");
  });
  afterAll(() => app.close());

  const small = (res: { statusCode: number; body: string; headers: Record<string, unknown> }) => {
    expect(res.statusCode).toBe(400);
    expect(String(res.headers["content-type"])).toContain("application/problem+json");
    expect(res.body.length).toBeLessThan(8 * 1024);
  };

  it("300,000 empty participants from a token with no roles get a small 400", async () => {
    const token = await staffToken("amp", []);
    const body = `{"patientId":"p","providerId":"d","scheduledStart":"2026-12-01T10:00:00Z","participants":[${Array(300_000).fill("{}").join(",")}]}`;
    expect(body.length).toBeLessThan(1024 * 1024);
    small(await app.request({ method: "POST", url: "/v1/sessions", token, body }));
  });

  it("an anonymous validate with 105,000 extra keys gets a small 400", async () => {
    const keys = Array.from({ length: 105_000 }, (_, i) => `"${i.toString(36)}":0`).join(",");
    small(await app.request({ method: "POST", url: "/v1/join/validate", body: `{${keys}}` }));
  });

  it("many repeated query parameters get a small 400", async () => {
    const token = await staffToken("amp", ["clinician"]);
    const query = Array.from({ length: 2000 }, () => "status=nope").join("&");
    small(await app.request({ method: "GET", url: `/v1/sessions?${query}`, token }));
  });

  it("a body with many wrong fields lists at most 20 errors", async () => {
    const token = await staffToken("amp", ["clinician"]);
    const participants = Array.from({ length: 50 }, () => ({ role: "nobody", displayName: "" }));
    const res = await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody({ participants }) });
    small(res);
    expect(res.json().errors.length).toBeLessThanOrEqual(20);
  });

  it("every array in every schema of the OpenAPI document is bounded (maxItems)", () => {
    const unbounded: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}/${i}`));
      if (node === null || typeof node !== "object") return;
      const o = node as Record<string, unknown>;
      if (o.type === "array" && typeof o.maxItems !== "number") unbounded.push(path);
      for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
    };
    walk(app.service.app.swagger(), "");
    expect(unbounded).toEqual([]);
  });

});

describe("load shedding while the event loop lags (MAX_EVENT_LOOP_DELAY_MS)", () => {
  it("answers 503 SERVICE_OVERLOADED with Retry-After, but liveness stays 200", async () => {
    const app = await bootApp({ env: { MAX_EVENT_LOOP_DELAY_MS: "200" } });
    try {
      const token = await staffToken("amp", ["clinician"]);
      let shed: Awaited<ReturnType<TestApp["request"]>> | undefined;
      // Block the loop (this process hosts the app) until the monitor has sampled the lag.
      for (let attempt = 0; attempt < 5 && shed?.statusCode !== 503; attempt++) {
        const until = Date.now() + 1500;
        while (Date.now() < until) Math.sqrt(Math.random());
        // A turn of the loop, so the lag monitor's timer runs and records the block.
        await new Promise((r) => setTimeout(r, 20));
        shed = await app.request({ method: "GET", url: "/v1/sessions", token });
        if (shed.statusCode === 503) expect((await app.request({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
      }
      expect(shed!.statusCode).toBe(503);
      expect(shed!.json().code).toBe("SERVICE_OVERLOADED");
      expect(shed!.headers["retry-after"]).toBeDefined();
    } finally {
      await app.close();
    }
  });
});
