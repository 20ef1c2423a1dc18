import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";

/** Issue 11, defect 3: a scheduler must not be able to mint a moderator. */
describe("who may add a clinician (moderator) participant (PostgreSQL)", () => {
  let app: TestApp;
  let sessionId: string;

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "mod");
    const res = await app.request({ method: "POST", url: "/v1/sessions", token: await staffToken("mod", ["scheduler"]), body: sessionBody() });
    expect(res.statusCode).toBe(201);
    sessionId = res.json().id;
  });
  afterAll(() => app.close());

  const add = async (roles: Array<"scheduler" | "clinician" | "admin">, role: string) =>
    app.request({
      method: "POST",
      url: `/v1/sessions/${sessionId}/participants`,
      token: await staffToken("mod", roles),
      body: { role, displayName: "Dr Second", externalId: `x-${Math.random()}` },
    });

  it("a scheduler adding a clinician participant gets 403 FORBIDDEN, and nothing is added", async () => {
    const res = await add(["scheduler"], "clinician");
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe("FORBIDDEN");
    const list = await app.request({ method: "GET", url: `/v1/sessions/${sessionId}/participants`, token: await staffToken("mod", ["scheduler"]) });
    expect(list.json().items.filter((p: { role: string }) => p.role === "clinician")).toHaveLength(1);
  });

  it("a scheduler creating a session with an extra clinician gets 403; the provider alone is fine", async () => {
    const token = await staffToken("mod", ["scheduler"]);
    const extra = await app.request({
      method: "POST",
      url: "/v1/sessions",
      token,
      body: sessionBody({ participants: [{ role: "clinician", displayName: "Dr Other", externalId: "dr-other" }] }),
    });
    expect(extra.statusCode).toBe(403);
    const provider = await app.request({
      method: "POST",
      url: "/v1/sessions",
      token,
      body: sessionBody({ participants: [{ role: "clinician", displayName: "Dr One", externalId: "dr-1" }, { role: "interpreter", displayName: "I" }] }),
    });
    expect(provider.statusCode).toBe(201);
  });

  it("a scheduler may still add a guest; a clinician or admin may add a clinician", async () => {
    expect((await add(["scheduler"], "guest")).statusCode).toBe(201);
    expect((await add(["clinician"], "clinician")).statusCode).toBe(201);
    expect((await add(["admin"], "clinician")).statusCode).toBe(201);
  });
});
