import { createHash, randomUUID } from "node:crypto";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTACHMENT_CHUNK_BYTES } from "../../src/adapters/postgres/repositories/attachment-chunk-store.js";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { multipartBody, samples } from "../support/multipart.js";

/**
 * Issue 11, defect 6: attachments stream. They are checked as they arrive and written in chunks,
 * so a refusal comes before the rest of the body is sent, and no upload is held whole in memory.
 */
describe("streamed attachments (PostgreSQL)", () => {
  const clock = new ManualClock(new Date("2026-12-01T09:00:00Z"));
  let app: TestApp;
  let staff: string;
  let port: number;

  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "stream", { joinTokenTtlSeconds: 86400 });
    staff = await staffToken("stream", ["clinician", "scheduler"]);
    port = Number(new URL(await app.service.app.listen({ port: 0, host: "127.0.0.1" })).port);
  });
  afterAll(() => app.close());

  const patientToken = async () => {
    const s = (await app.request({ method: "POST", url: "/v1/sessions", token: staff, body: sessionBody() })).json();
    const pid = s.participants.find((p: { role: string }) => p.role === "patient").id;
    return (await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${pid}/join-token`, token: staff })).json().token as string;
  };
  const count = async (table: string) => Number((await app.owner.query(`select count(*)::int as n from ${table}`)).rows[0].n);
  /** Chunks no committed attachment owns: staged uploads, or leftovers of a discard that failed. */
  const unowned = async () =>
    Number((await app.owner.query("select count(*)::int as n from async_visit_attachment_chunks c where not exists (select 1 from async_visit_attachments a where a.id = c.attachment_id)")).rows[0].n);

  /**
   * Sends the request line, the headers and only `sentBody` of a body announced as `declaredLength`
   * bytes, then waits for an answer without sending more. Resolves with the status and the body,
   * or with null when nothing came within `waitMs` (the service is still waiting for the body).
   */
  const sendPartly = (headers: Record<string, string>, sentBody: Buffer, declaredLength: number, waitMs = 5000) =>
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
      const head = Object.entries({ ...headers, "content-length": String(declaredLength), connection: "close" })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      socket.write(`POST /v1/async-visits HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n`);
      socket.write(sentBody);
    });

  it("when the first attachment is not a JPEG, PNG or PDF, then it is refused from its first bytes, before the rest of the body is sent, and nothing stays stored", async () => {
    const exe = Buffer.concat([samples.exe, Buffer.alloc(4 * 1024 * 1024, 7)]);
    const { payload, contentType } = await multipartBody({ text: "scan" }, [{ filename: "scan.pdf", type: "application/pdf", data: exe }]);
    const firstBytes = payload.subarray(0, 128 * 1024); // the form's start and 128 KiB of the file; the other 4 MB never go
    const answer = await sendPartly({ authorization: `Bearer ${staff}`, "content-type": contentType }, firstBytes, payload.length);
    expect(answer, "the service waited for the whole file before judging it").not.toBeNull();
    expect(answer!.status).toBe(400);
    expect(JSON.parse(answer!.body)).toMatchObject({ code: "VALIDATION_FAILED" });
    expect(await count("async_visit_uploads")).toBe(0);
    expect(await unowned()).toBe(0);
  });

  it("when a patient's token has used its quota, then the next submission is refused (429) before its body is read", async () => {
    const token = await patientToken();
    const small = await multipartBody({ text: "hello" }, []);
    for (let i = 0; i < 3; i++) {
      const res = await app.service.app.inject({ method: "POST", url: "/v1/async-visits", headers: { "x-join-token": token, "content-type": small.contentType }, payload: small.payload });
      expect(res.statusCode, res.body).toBe(201);
    }
    const answer = await sendPartly({ "x-join-token": token, "content-type": small.contentType }, Buffer.alloc(0), 20 * 1024 * 1024);
    expect(answer, "the service waited for a body it was going to refuse").not.toBeNull();
    expect(answer!.status).toBe(429);
    expect(JSON.parse(answer!.body)).toMatchObject({ code: "QUOTA_EXCEEDED" });
  });

  it("when a 5 MB photo is sent, then it is stored in chunks of at most 256 KiB and downloads byte for byte, with its length", async () => {
    const photo = Buffer.concat([samples.png, Buffer.alloc(5_000_000 - samples.png.length)]);
    for (let i = samples.png.length; i < photo.length; i += 4096) photo[i] = i % 251;
    const { payload, contentType } = await multipartBody({ text: "rash", patientId: "pat-1", providerId: "dr-1" }, [{ filename: "rash.png", type: "image/png", data: photo }]);
    const res = await app.service.app.inject({ method: "POST", url: "/v1/async-visits", headers: { authorization: `Bearer ${staff}`, "content-type": contentType }, payload });
    expect(res.statusCode, res.body).toBe(201);
    const [attachment] = (await app.owner.query("select id, size_bytes, sha256 from async_visit_attachments where visit_id = $1", [res.json().id])).rows;
    const chunks = await app.owner.query("select seq, octet_length(data) as n from async_visit_attachment_chunks where attachment_id = $1 order by seq", [attachment.id]);
    expect(chunks.rows.length).toBe(Math.ceil(photo.length / ATTACHMENT_CHUNK_BYTES));
    expect(Math.max(...chunks.rows.map((r) => r.n))).toBeLessThanOrEqual(ATTACHMENT_CHUNK_BYTES);
    expect(chunks.rows.map((r) => r.seq)).toEqual(chunks.rows.map((_, i) => i));
    const sha = createHash("sha256").update(photo).digest("hex");
    expect(attachment).toMatchObject({ size_bytes: photo.length, sha256: sha });

    const download = await fetch(`http://127.0.0.1:${port}/v1/async-visits/${res.json().id}/attachments/${attachment.id}`, { headers: { authorization: `Bearer ${staff}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-length")).toBe(String(photo.length));
    expect(createHash("sha256").update(Buffer.from(await download.arrayBuffer())).digest("hex")).toBe(sha);
    expect(await count("async_visit_uploads")).toBe(0);
  });

  it("when an upload was left staged (a crash mid-upload), then it is purged after two hours; younger ones and committed attachments stay", async () => {
    const committedChunks = await count("async_visit_attachment_chunks");
    const stage = async (startedAt: Date) => {
      const id = randomUUID();
      await app.owner.query("insert into async_visit_uploads (attachment_id, tenant_id, started_at) values ($1, 'stream', $2)", [id, startedAt]);
      await app.owner.query("insert into async_visit_attachment_chunks (attachment_id, seq, tenant_id, data) values ($1, 0, 'stream', $2), ($1, 1, 'stream', $2)", [id, Buffer.alloc(1000)]);
      return id;
    };
    const old = await stage(new Date(clock.now().getTime() - 3 * 3_600_000));
    const young = await stage(new Date(clock.now().getTime() - 10 * 60_000));
    expect(await app.service.workers.stagedUploadPurge.runOnce()).toEqual({ deleted: 1 });
    const left = (await app.owner.query("select distinct attachment_id from async_visit_uploads")).rows.map((r) => r.attachment_id);
    expect(left).toEqual([young]);
    expect(await count("async_visit_attachment_chunks")).toBe(committedChunks + 2);
    expect((await app.owner.query("select count(*)::int as n from async_visit_attachment_chunks where attachment_id = $1", [old])).rows[0].n).toBe(0);
  });
});

describe("streamed attachments on the embedded database (PGlite)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await bootApp({ database: "pglite" });
    await configureTenant(app, "embedded");
  });
  afterAll(() => app.close());

  it("when a 600 KB PDF is sent, then it downloads byte for byte", async () => {
    const staff = await staffToken("embedded", ["clinician", "scheduler"]);
    const pdf = Buffer.concat([samples.pdf, randomBytesOf(600_000)]);
    const { payload, contentType } = await multipartBody({ text: "letter", patientId: "pat-1", providerId: "dr-1" }, [{ filename: "letter.pdf", type: "application/pdf", data: pdf }]);
    const res = await app.service.app.inject({ method: "POST", url: "/v1/async-visits", headers: { authorization: `Bearer ${staff}`, "content-type": contentType }, payload });
    expect(res.statusCode, res.body).toBe(201);
    const listed = await app.request({ method: "GET", url: "/v1/async-visits", token: staff });
    const visit = listed.json().items.find((v: { id: string }) => v.id === res.json().id);
    const download = await app.request({ method: "GET", url: `/v1/async-visits/${visit.id}/attachments/${visit.attachments[0].id}`, token: staff });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(pdf)).toBe(true);
  });
});

function randomBytesOf(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) % 256));
}
