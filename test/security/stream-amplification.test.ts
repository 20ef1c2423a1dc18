import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { sql } from "../support/join.js";
import { eventually } from "../support/nats.js";

/** An open SSE stream: what it received so far, and a way to wait for more. */
class Stream {
  private received = "";
  private constructor(
    readonly status: number,
    readonly body: string,
    private readonly reader: ReadableStreamDefaultReader<string> | null,
    private readonly abort: AbortController,
  ) {}

  static async open(url: string, token: string): Promise<Stream> {
    const abort = new AbortController();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    if (res.status !== 200) return new Stream(res.status, await res.text(), null, abort);
    return new Stream(200, "", res.body!.pipeThrough(new TextDecoderStream()).getReader(), abort);
  }

  async until(pattern: RegExp): Promise<boolean> {
    while (!pattern.test(this.received)) {
      const { value, done } = await this.reader!.read();
      if (done) break;
      this.received += value;
    }
    return pattern.test(this.received);
  }

  close(): void {
    this.abort.abort();
  }
}

/**
 * Issue 20, finding 7(c): 1,500 staff streams on one visit turned one change into 1,500 reads and
 * 1,501 audit rows. Now: a cap per user, and one read per change for every stream of the visit.
 */
describe("staff event streams: a cap per user, one read per change (PostgreSQL)", () => {
  const CAP = 3;
  let app: TestApp;
  let base: string;
  let sessionId: string;
  const opened: Stream[] = [];

  beforeAll(async () => {
    app = await bootApp({ env: { STREAMS_PER_USER: String(CAP) } });
    await configureTenant(app, "sse", { maxParticipants: 10 });
    base = await app.service.app.listen({ port: 0, host: "127.0.0.1" });
    const res = await app.request({ method: "POST", url: "/v1/sessions", token: await staffToken("sse", ["scheduler"]), body: sessionBody() });
    sessionId = res.json().id;
  });
  afterAll(async () => {
    opened.forEach((s) => s.close());
    await app.close();
  });

  const open = async (user: string) => {
    const stream = await Stream.open(`${base}/v1/sessions/${sessionId}/events`, await staffToken("sse", ["clinician"], user));
    opened.push(stream);
    return stream;
  };
  const listAudits = async () =>
    Number(
      (
        await sql<{ n: string }>(app, "select count(*) as n from virtual_care_outbox where type = 'audit.virtualcare.participant.list' and aggregate_id = $1", [
          sessionId,
        ])
      )[0]!.n,
    );

  it(`one user gets ${CAP} streams, the next is 429 RATE_LIMITED; another user is unaffected; closing one frees a slot`, async () => {
    const mine = [];
    for (let i = 0; i < CAP; i++) mine.push(await open("dr-cap"));
    expect(mine.map((s) => s.status)).toEqual(Array(CAP).fill(200));
    const refused = await open("dr-cap");
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ code: "RATE_LIMITED", status: 429 });
    expect((await open("dr-other")).status).toBe(200);
    mine[0]!.close();
    const again = await eventually("a slot freed by the closed stream", async () => {
      const s = await open("dr-cap");
      return s.status === 200 ? s : undefined;
    });
    expect(again.status).toBe(200);
  });

  it("the console's list stream counts against the same cap: a user already at the cap gets 429 there too", async () => {
    const token = await staffToken("sse", ["clinician"], "dr-board");
    const lists: Stream[] = [];
    for (let i = 0; i < CAP; i++) lists.push(await Stream.open(`${base}/v1/sessions/events`, token));
    opened.push(...lists);
    expect(lists.map((s) => s.status)).toEqual(Array(CAP).fill(200));
    const refused = await Stream.open(`${base}/v1/sessions/events`, token);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ code: "RATE_LIMITED" });
    // A visit stream of the same user is refused too: one budget for every stream a user holds.
    expect((await Stream.open(`${base}/v1/sessions/${sessionId}/events`, token)).status).toBe(429);
  });

  it("a patient's join link holds at most the same number of streams: the next one is 429 before any read", async () => {
    const detail = await app.request({ method: "GET", url: `/v1/sessions/${sessionId}`, token: await staffToken("sse", ["clinician"]) });
    const patient = detail.json().participants.find((p: { role: string }) => p.role === "patient");
    const issued = await app.request({ method: "POST", url: `/v1/sessions/${sessionId}/participants/${patient.id}/join-token`, token: await staffToken("sse", ["clinician"]) });
    const joinToken: string = issued.json().token;
    const streams: Response[] = [];
    const aborts: AbortController[] = [];
    try {
      for (let i = 0; i <= CAP; i++) {
        const abort = new AbortController();
        aborts.push(abort);
        streams.push(await fetch(`${base}/v1/join/events`, { headers: { "x-join-token": joinToken }, signal: abort.signal }));
      }
      expect(streams.slice(0, CAP).map((r) => r.status)).toEqual(Array(CAP).fill(200));
      expect(streams[CAP]!.status).toBe(429);
      expect(await streams[CAP]!.json()).toMatchObject({ code: "RATE_LIMITED" });
    } finally {
      aborts.forEach((a) => a.abort());
    }
  });

  it("a change reaches every stream of the visit with no further audited read per stream", async () => {
    const before = await listAudits();
    const streams: Stream[] = [];
    for (let u = 0; u < 4; u++) for (let i = 0; i < CAP; i++) streams.push(await open(`dr-fan-${u}`));
    expect(streams.every((s) => s.status === 200)).toBe(true);
    await Promise.all(streams.map((s) => s.until(/event: participants/)));
    // Each stream's opening read is audited (it is an access to patient data, by that user).
    const afterOpen = await eventually("the opening reads' audit rows", async () => {
      const n = await listAudits();
      return n === before + streams.length ? n : undefined;
    });

    const add = await app.request({
      method: "POST",
      url: `/v1/sessions/${sessionId}/participants`,
      token: await staffToken("sse", ["clinician"]),
      body: { role: "guest", displayName: "Fan-out guest" },
    });
    expect(add.statusCode).toBe(201);
    const reached = await Promise.all(streams.map((s) => s.until(/Fan-out guest/)));
    expect(reached.every(Boolean)).toBe(true);
    // The change was read once for all of them: no audited read per stream (before: one per stream).
    expect(await listAudits()).toBe(afterOpen);
  });
});
