import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { multipartBody, samples } from "../support/multipart.js";

/**
 * Issue 20, finding 7(b): a chunked upload declares no Content-Length, so the quota check before
 * the body saw 0 bytes; 174 MiB were written before the quota refused them at commit. Now the
 * quota is counted as the bytes arrive.
 */
describe("chunked uploads are held to the quota as they stream (PostgreSQL)", () => {
  const clock = new ManualClock(new Date("2026-12-01T09:00:00Z"));
  let app: TestApp;
  let staff: string;
  let port: number;

  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "chunked", { joinTokenTtlSeconds: 86400 });
    staff = await staffToken("chunked", ["clinician", "scheduler"]);
    port = Number(new URL(await app.service.app.listen({ port: 0, host: "127.0.0.1" })).port);
  });
  afterAll(() => app.close());

  const patientToken = async () => {
    const s = (await app.request({ method: "POST", url: "/v1/sessions", token: staff, body: sessionBody() })).json();
    const pid = s.participants.find((p: { role: string }) => p.role === "patient").id;
    return (await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${pid}/join-token`, token: staff })).json().token as string;
  };
  const png = (bytes: number) => Buffer.concat([samples.png, Buffer.alloc(Math.max(0, bytes - samples.png.length), 1)]);
  const form = (files: Buffer[]) => multipartBody({ text: "photos" }, files.map((data, i) => ({ filename: `p${i}.png`, type: "image/png", data })));
  const staged = async () => Number((await app.owner.query("select coalesce(sum(length(data)),0)::bigint as n from async_visit_attachment_chunks")).rows[0].n);

  /**
   * Sends `sent` as one chunk of a chunked body (no Content-Length) and no more, then waits for an
   * answer. Null when none came within `waitMs`: the service is still reading the body.
   */
  const sendChunked = (headers: Record<string, string>, sent: Buffer, waitMs = 8000) =>
    new Promise<{ status: number; body: string } | null>((resolve, reject) => {
      const socket: Socket = connect(port, "127.0.0.1");
      let received = Buffer.alloc(0);
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(null);
      }, waitMs);
      socket.on("error", reject);
      socket.on("data", (data) => {
        received = Buffer.concat([received, data]);
        const text = received.toString("latin1");
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
        if (received.length < end + 4 + length) return;
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(text.slice(9, 12)), body: received.subarray(end + 4, end + 4 + length).toString() });
      });
      const head = Object.entries({ ...headers, "transfer-encoding": "chunked", connection: "close" })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      socket.write(`POST /v1/async-visits HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n`);
      socket.write(`${sent.length.toString(16)}\r\n`);
      socket.write(sent);
      socket.write("\r\n");
    });

  it("with 24.5 of 30 MB used, a chunked upload is refused 429 once it passes what is left, before the rest is sent, and nothing stays staged", async () => {
    const token = await patientToken();
    const first = await form(Array.from({ length: 5 }, () => png(4_900_000)));
    const ok = await app.service.app.inject({ method: "POST", url: "/v1/async-visits", headers: { "x-join-token": token, "content-type": first.contentType }, payload: first.payload });
    expect(ok.statusCode, ok.body).toBe(201);
    const before = await staged();

    // Two more files of 4.9 MB (9.8 MB > the 6.96 MB left), sent chunked; three more would follow.
    const next = await form(Array.from({ length: 5 }, () => png(4_900_000)));
    const twoFiles = next.payload.subarray(0, Math.floor(next.payload.length * 0.42));
    const answer = await sendChunked({ "x-join-token": token, "content-type": next.contentType }, twoFiles);
    expect(answer, "the service read on past the quota, waiting for the rest of the body").not.toBeNull();
    expect(answer!.status).toBe(429);
    expect(JSON.parse(answer!.body)).toMatchObject({ code: "QUOTA_EXCEEDED" });
    // What was staged for the refused upload is gone.
    expect(await staged()).toBe(before);
  });

  it("a chunked upload within the quota still goes through", async () => {
    const token = await patientToken();
    const small = await form([png(200_000), png(300_000)]);
    const res = await fetch(`http://127.0.0.1:${port}/v1/async-visits`, {
      method: "POST",
      headers: { "x-join-token": token, "content-type": small.contentType },
      body: new ReadableStream({
        start(c) {
          c.enqueue(small.payload);
          c.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(res.status, await res.clone().text()).toBe(201);
  });
});
