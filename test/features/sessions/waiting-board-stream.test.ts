import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";

/** An open `GET /v1/sessions/events` stream, read frame by frame. */
async function openBoard(base: string, token: string) {
  const res = await fetch(`${base}/v1/sessions/events`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const boards: Array<{ items: Array<Record<string, unknown>> }> = [];
  /** Reads until a `waiting` board satisfies `ok`; returns it. */
  const until = async (ok: (b: { items: Array<Record<string, unknown>> }) => boolean) => {
    for (;;) {
      const found = boards.find(ok);
      if (found) return found;
      const { value, done } = await reader.read();
      if (done) throw new Error("stream ended");
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (/^event: waiting$/m.test(frame) && data) boards.push(JSON.parse(data));
      }
    }
  };
  return { until, boards, close: () => reader.cancel() };
}

describe("GET /v1/sessions/events: who is waiting, live, for the console's list", () => {
  let app: TestApp;
  let base: string;
  beforeAll(async () => {
    app = await bootApp();
    await app.service.app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.service.app.server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
    await configureTenant(app, "board-a");
    await configureTenant(app, "board-b");
  });
  afterAll(() => app?.close());

  const arrive = async (tenant: string, patientId: string) => {
    const token = await staffToken(tenant, ["clinician"]);
    const s = (await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody({ patientId, scheduledStart: new Date().toISOString(), scheduledEnd: undefined }) })).json();
    const patient = s.participants.find((p: { role: string }) => p.role === "patient");
    const { token: joinToken } = (await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${patient.id}/join-token`, token })).json();
    const validated = await app.request({ method: "POST", url: "/v1/join/validate", body: { token: joinToken } });
    expect(validated.statusCode).toBe(200);
    return { sessionId: s.id as string, patientParticipantId: patient.id as string, token };
  };

  it("when a patient of the tenant checks in, then every open list of that tenant is pushed the visit with its wait, and another tenant's list is not", async () => {
    const a1 = await openBoard(base, await staffToken("board-a", ["clinician"]));
    const a2 = await openBoard(base, await staffToken("board-a", ["scheduler"], "user-2"));
    const b = await openBoard(base, await staffToken("board-b", ["clinician"]));
    // The first board says nobody waits yet.
    await a1.until((x) => x.items.length === 0);
    await b.until((x) => x.items.length === 0);

    const visit = await arrive("board-a", "patient-board-1");
    const pushed = (x: { items: Array<Record<string, unknown>> }) => x.items.some((i) => i.sessionId === visit.sessionId);
    const [seen1, seen2] = await Promise.all([a1.until(pushed), a2.until(pushed)]);
    for (const seen of [seen1, seen2]) {
      expect(seen.items).toEqual([
        { sessionId: visit.sessionId, patientId: "patient-board-1", sessionStatus: "scheduled", waiting: 1, waitingSince: expect.any(String) },
      ]);
    }

    // Admitted: nobody waits any more, and the lists are told.
    await app.request({ method: "POST", url: `/v1/sessions/${visit.sessionId}/participants/${visit.patientParticipantId}/admit`, token: visit.token });
    await a1.until((x) => x.items.length === 0 && a1.boards.some(pushed));

    // Tenant B's stream heard nothing of tenant A: still only its first, empty board.
    await arrive("board-b", "patient-board-b");
    const bSeen = await b.until((x) => x.items.length === 1);
    expect(bSeen.items[0]!.patientId).toBe("patient-board-b");
    expect(b.boards.flatMap((x) => x.items).some((i) => i.patientId === "patient-board-1")).toBe(false);
    await Promise.all([a1.close(), a2.close(), b.close()]);
  });

  it("when the stream is opened without a token or by a role that may not read visits, then a plain problem answer, not a stream", async () => {
    const anonymous = await fetch(`${base}/v1/sessions/events`);
    expect(anonymous.status).toBe(401);
    const platform = await fetch(`${base}/v1/sessions/events`, { headers: { authorization: `Bearer ${await staffToken("board-a", ["platform_admin"])}` } });
    expect(platform.status).toBe(403);
    expect(platform.headers.get("content-type")).toMatch(/problem\+json/);
    expect((await platform.json()).code).toBe("FORBIDDEN");
  });

  it("when a list opens its stream, then the read is audited as a read of patient data by that user", async () => {
    const token = await staffToken("board-a", ["clinician"], "auditor-check");
    const s = await openBoard(base, token);
    await s.until(() => true);
    await s.close();
    const rows = await app.owner.query(
      "select 1 from virtual_care_outbox where tenant_id = $1 and type = 'audit.virtualcare.session.waiting_board.watch' and data->'actor'->>'id' = 'auditor-check' and data->>'outcome' = 'success'",
      ["board-a"],
    );
    expect(rows.rowCount).toBeGreaterThan(0);
  });
});
