import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, staffToken, type TestApp } from "../support/app.js";
import { CLIENT_TYPES_FILE, clientTypesFor } from "../support/api-client-types.js";
import { API_VERSION, createVirtualCareClient, readEvents, type StreamEvent } from "../../clients/typescript/src/index.js";
import { API_VERSION as SERVED_VERSION } from "../../src/http/openapi/api-version.js";

/**
 * A platform team's view: the TypeScript client in clients/typescript (types generated from GET
 * /openapi.json alone by openapi-typescript, calls by openapi-fetch), talking HTTP to a listening
 * service. The suite's type check compiles this file against the committed generated types; the
 * first tests prove they, and the package's version, are current.
 */
describe("the TypeScript client (clients/typescript) against the served document and a listening service", () => {
  let app: TestApp;
  let baseUrl: string;
  let served: { info: { version: string } };
  const tenant = "clinic-client";

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, tenant);
    baseUrl = await app.service.app.listen({ port: 0, host: "127.0.0.1" });
    served = (await app.request({ method: "GET", url: "/openapi.json" })).json();
  });
  afterAll(() => app?.close());

  it("when the types are generated from the served document, then they equal the committed ones the client and the web app compile against", async () => {
    expect(await clientTypesFor(served), "run npm run api:client").toBe(readFileSync(CLIENT_TYPES_FILE, "utf8"));
  });

  it("when the versions are compared, then the document, the generated types, the package and its changelog name the same one", () => {
    const pkg = JSON.parse(readFileSync("clients/typescript/package.json", "utf8")) as { version: string };
    expect(served.info.version).toBe(SERVED_VERSION);
    expect(API_VERSION).toBe(SERVED_VERSION);
    expect(pkg.version, "clients/typescript/package.json").toBe(SERVED_VERSION);
    expect(readFileSync("clients/typescript/CHANGELOG.md", "utf8")).toMatch(new RegExp(`^## ${SERVED_VERSION.replaceAll(".", "\\.")} `, "m"));
  });

  it("when a visit runs through the client, then create → join token → validate → stream → admit → end all answer as documented", async () => {
    const staff = async (roles: Parameters<typeof staffToken>[1], sub?: string) => createVirtualCareClient({ baseUrl, credential: { bearer: await staffToken(tenant, roles, sub) } });
    const scheduler = await staff(["scheduler"]);
    const clinician = await staff(["clinician"], "dr-client");

    const created = await scheduler.POST("/v1/sessions", {
      body: { patientId: "pat-client-1", providerId: "dr-client", scheduledStart: "2030-01-07T10:00:00.000Z", scheduledEnd: "2030-01-07T10:30:00.000Z" },
    });
    expect(created.response.status).toBe(201);
    const session = created.data!;
    expect(session).toMatchObject({ status: "scheduled", patientId: "pat-client-1", version: 1 });
    expect(created.response.headers.get("etag")).toBe('"1"');
    const patient = session.participants.find((p) => p.role === "patient")!;
    const id = session.id;

    const issued = await scheduler.POST("/v1/sessions/{id}/participants/{pid}/join-token", { params: { path: { id, pid: patient.id } } });
    expect(issued.response.status).toBe(200);
    const { token, joinUrl } = issued.data!;
    expect(joinUrl).toContain(encodeURIComponent(token));

    const patientApp = createVirtualCareClient({ baseUrl, credential: { joinToken: token } });
    const validated = await patientApp.POST("/v1/join/validate", { body: { token } });
    expect(validated.data).toEqual({ destination: "waiting_room", sessionId: id, participantId: patient.id, role: "patient" });

    // The patient's stream, read with the client's typed event reader.
    const opened = await patientApp.GET("/v1/join/events", { parseAs: "stream" });
    expect(opened.response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = readEvents<"/v1/join/events">(opened.response);
    const first = (await events.next()).value as StreamEvent<"/v1/join/events">;
    expect(first.event).toBe("status");
    if (first.event === "status") expect(first.data.participantStatus).toBe("waiting");

    const admitted = await clinician.POST("/v1/sessions/{id}/participants/{pid}/admit", { params: { path: { id, pid: patient.id } } });
    expect(admitted.response.status).toBe(200);
    expect(admitted.data!.participant.status).toBe("admitted");
    expect(new URL(admitted.data!.videoJoinUrl).searchParams.get("jwt")).toBeTruthy();
    const next = (await events.next()).value as StreamEvent<"/v1/join/events">;
    expect(next).toMatchObject({ event: "status", data: { participantStatus: "admitted", videoJoinUrl: expect.any(String) } });
    await events.return(undefined);

    const status = await patientApp.GET("/v1/join/status");
    expect(status.data).toMatchObject({ participantStatus: "admitted", sessionStatus: "in_progress" });

    const ended = await clinician.POST("/v1/sessions/{id}/end", { params: { path: { id } } });
    expect(ended.response.status).toBe(200);
    expect(ended.data).toMatchObject({ id, status: "ended" });
    expect(ended.data!.endedAt).not.toBeNull();

    // Errors arrive as the documented problem+json, their code typed by the operation's list.
    const again = await clinician.POST("/v1/sessions/{id}/end", { params: { path: { id } } });
    expect(again.response.status).toBe(409);
    expect(again.response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(again.error).toMatchObject({ code: "INVALID_STATUS_TRANSITION", currentStatus: "ended", type: "/problems/invalid-status-transition" });
  });
});
