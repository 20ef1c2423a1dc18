import { readFileSync } from "node:fs";
import createClient from "openapi-fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, staffToken, type TestApp } from "../support/app.js";
import { CLIENT_TYPES_FILE, clientTypesFor } from "../support/api-client-types.js";
import type { paths } from "./generated/virtual-care-api.js";

/**
 * A platform team's view: a client generated from GET /openapi.json alone (openapi-typescript +
 * openapi-fetch), talking HTTP to a listening service. The generated types are committed so the
 * suite's type check compiles this file against them; the first test proves they are current.
 */
describe("typed client generated from the OpenAPI document", () => {
  let app: TestApp;
  let baseUrl: string;
  const tenant = "clinic-client";

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, tenant);
    baseUrl = await app.service.app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(() => app?.close());

  it("when the types are generated from the served document, then they equal the committed ones the suite compiles", async () => {
    const served = (await app.request({ method: "GET", url: "/openapi.json" })).json();
    expect(await clientTypesFor(served), "run npm run api:client").toBe(readFileSync(CLIENT_TYPES_FILE, "utf8"));
  });

  it("when a visit runs through the client, then create → join token → validate → admit → end all answer as documented", async () => {
    const staff = (token: string) => createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` } });
    const scheduler = staff(await staffToken(tenant, ["scheduler"]));
    const clinician = staff(await staffToken(tenant, ["clinician"], "dr-client"));
    const patientApp = createClient<paths>({ baseUrl });

    const created = await scheduler.POST("/v1/sessions", {
      body: { patientId: "pat-client-1", providerId: "dr-client", scheduledStart: "2030-01-07T10:00:00.000Z", scheduledEnd: "2030-01-07T10:30:00.000Z" },
    });
    expect(created.response.status).toBe(201);
    const session = created.data!;
    expect(session).toMatchObject({ status: "scheduled", patientId: "pat-client-1", version: 1 });
    const patient = session.participants.find((p) => p.role === "patient")!;
    const id = session.id;

    const issued = await scheduler.POST("/v1/sessions/{id}/participants/{pid}/join-token", { params: { path: { id, pid: patient.id } } });
    expect(issued.response.status).toBe(200);
    const { token, joinUrl } = issued.data!;
    expect(joinUrl).toContain(encodeURIComponent(token));

    const validated = await patientApp.POST("/v1/join/validate", { body: { token } });
    expect(validated.data).toEqual({ destination: "waiting_room", sessionId: id, participantId: patient.id, role: "patient" });

    const admitted = await clinician.POST("/v1/sessions/{id}/participants/{pid}/admit", { params: { path: { id, pid: patient.id } } });
    expect(admitted.response.status).toBe(200);
    expect(admitted.data!.participant.status).toBe("admitted");
    expect(new URL(admitted.data!.videoJoinUrl).searchParams.get("jwt")).toBeTruthy();

    const status = await patientApp.GET("/v1/join/status", { params: { header: { "x-join-token": token } } });
    expect(status.data).toMatchObject({ participantStatus: "admitted", sessionStatus: "in_progress" });

    const ended = await clinician.POST("/v1/sessions/{id}/end", { params: { path: { id } } });
    expect(ended.response.status).toBe(200);
    expect(ended.data).toMatchObject({ id, status: "ended" });
    expect(ended.data!.endedAt).not.toBeNull();

    // Errors arrive as the documented problem+json, typed as such on the client.
    const again = await clinician.POST("/v1/sessions/{id}/end", { params: { path: { id } } });
    expect(again.response.status).toBe(409);
    expect(again.response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(again.error).toMatchObject({ code: "INVALID_STATUS_TRANSITION", currentStatus: "ended" });
  });
});
