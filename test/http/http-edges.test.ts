import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, STAFF_SECRET, staffToken, type TestApp } from "../support/app.js";

describe("HTTP edges: errors, auth, operations endpoints, logs (PostgreSQL)", () => {
  let app: TestApp;
  let token: string;
  const logs: string[] = [];

  beforeAll(async () => {
    app = await bootApp({ env: { LOG_LEVEL: "info" }, logStream: { write: (line) => void logs.push(line) } });
    await configureTenant(app, "edges");
    token = await staffToken("edges", ["scheduler", "clinician"]);
  });
  afterAll(() => app.close());

  const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, code: string) => {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers["content-type"])).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String), type: `/problems/${code.toLowerCase().replaceAll("_", "-")}` });
  };

  it("when the body is not JSON, then 400 problem+json", async () => {
    const res = await app.request({ method: "POST", url: "/v1/sessions", token, body: "{not json" });
    expectProblem(res, 400, "VALIDATION_FAILED");
  });

  it("when the body is larger than 1 MiB, then 413 PAYLOAD_TOO_LARGE", async () => {
    const res = await app.request({ method: "POST", url: "/v1/sessions", token, body: { ...sessionBody(), pad: "x".repeat(1_100_000) } });
    expectProblem(res, 413, "PAYLOAD_TOO_LARGE");
  });

  it("when fields are wrong, then 400 lists each problem by path", async () => {
    const res = await app.request({ method: "POST", url: "/v1/sessions", token, body: { patientId: "", scheduledStart: "tomorrow" } });
    expectProblem(res, 400, "VALIDATION_FAILED");
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["/patientId", "/scheduledStart", "/providerId"]));
  });

  it("when the route does not exist, then 404 problem+json", async () => {
    expectProblem(await app.request({ method: "GET", url: "/v1/nothing-here", token }), 404, "NOT_FOUND");
  });

  it("when the bearer token is missing, expired, wrongly signed or lacks claims, then 401 UNAUTHENTICATED", async () => {
    const sign = (claims: Record<string, unknown>, secret = STAFF_SECRET, exp: string | number = "1h") =>
      new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject("u").setExpirationTime(exp).sign(new TextEncoder().encode(secret));
    const bad = [
      undefined,
      "not-a-jwt",
      await sign({ tenant_id: "edges", roles: ["admin"] }, "another-secret-another-secret-xx"),
      await sign({ tenant_id: "edges", roles: ["admin"] }, STAFF_SECRET, Math.floor(Date.now() / 1000) - 60),
      await sign({ roles: ["admin"] }),
      await sign({ tenant_id: "edges" }),
    ];
    for (const t of bad) expectProblem(await app.request({ method: "GET", url: "/v1/sessions", token: t }), 401, "UNAUTHENTICATED");
    const none = await app.request({ method: "GET", url: "/v1/sessions", headers: { authorization: "Bearer " + (await sign({ tenant_id: "edges", roles: ["admin"] })).split(".").slice(0, 2).join(".") + "." } });
    expect(none.statusCode).toBe(401);
  });

  it("when a token has only unknown roles, then 403 FORBIDDEN", async () => {
    const t = await staffToken("edges", ["superuser" as never]);
    expectProblem(await app.request({ method: "GET", url: "/v1/sessions", token: t }), 403, "FORBIDDEN");
  });

  it("when operators probe the service, then healthz, readyz, metrics, openapi.json and docs answer without auth", async () => {
    expect((await app.request({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect((await app.request({ method: "GET", url: "/readyz" })).json()).toEqual({ status: "ready" });
    const metrics = await app.request({ method: "GET", url: "/metrics" });
    expect(metrics.body).toContain("http_request_duration_seconds");
    expect(metrics.body).toContain('route="/v1/sessions"');
    const docs = await app.request({ method: "GET", url: "/docs/" });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers["content-type"]).toContain("text/html");
    // The page's script and the redirect of the bare path (the docs module is loaded on first use).
    const script = await app.request({ method: "GET", url: "/docs/js/scalar.js" });
    expect(script.statusCode).toBe(200);
    expect(script.headers["content-type"]).toContain("javascript");
    expect(script.body.length).toBeGreaterThan(100_000);
    const bare = await app.request({ method: "GET", url: "/docs" });
    expect(bare.statusCode).toBe(301);
    expect(bare.headers.location).toBe("/docs/");
    const spec = (await app.request({ method: "GET", url: "/openapi.json" })).json();
    expect(spec.openapi).toBe("3.1.0");
    for (const [path, method] of [
      ["/v1/sessions", "post"],
      ["/v1/sessions", "get"],
      ["/v1/sessions/{id}", "get"],
      ["/v1/sessions/{id}/end", "post"],
      ["/v1/sessions/{id}/cancel", "post"],
      ["/v1/sessions/{id}/fallback", "post"],
      ["/v1/sessions/{id}/participants", "get"],
      ["/v1/sessions/{id}/participants", "post"],
      ["/v1/tenant-config", "get"],
      ["/v1/tenant-config", "put"],
    ] as const) {
      expect(spec.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(spec.paths["/v1/sessions"].post.requestBody.content["application/json"].schema.required).toEqual(
      expect.arrayContaining(["patientId", "providerId", "scheduledStart"]),
    );
  });

  it("when requests carry patient ids and tokens, then no log line contains them", async () => {
    await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody({ patientId: "PHI-PATIENT-777" }) });
    await app.request({ method: "GET", url: "/v1/sessions?patientId=PHI-PATIENT-777", token });
    await app.request({ method: "POST", url: "/v1/sessions", token, body: "{PHI-PATIENT-777" });
    const all = logs.join("");
    expect(all.length).toBeGreaterThan(0);
    expect(all).toContain("/v1/sessions");
    expect(all).not.toContain("PHI-PATIENT-777");
    expect(all).not.toContain(token);
  });
});

describe("readiness when the database is gone", () => {
  it("when the database stops answering, then /readyz is 503 and requests get a 503 DATABASE_UNAVAILABLE without internals", async () => {
    const app = await bootApp();
    try {
      await configureTenant(app, "gone");
      const token = await staffToken("gone", ["scheduler"]);
      await app.service.database.pool!.end();
      const ready = await app.request({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(503);
      const res = await app.request({ method: "GET", url: "/v1/sessions", token });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe("DATABASE_UNAVAILABLE");
      expect(res.body).not.toMatch(/select|pool|stack|at .*\.ts/i);
    } finally {
      await app.close();
    }
  });
});
