import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JitsiMeetAdapter } from "../../../src/adapters/jitsi/jitsi-meet.js";
import { LocalKmsSecretStore } from "../../../src/adapters/kms/local-kms-secret-store.js";
import type { Db } from "../../../src/adapters/postgres/connection/database.js";
import { GroupCommitAudit } from "../../../src/adapters/postgres/repositories/group-commit-audit.js";
import { PostgresJoinQueries } from "../../../src/adapters/postgres/queries/join-queries.js";
import { schema } from "../../../src/adapters/postgres/schema.js";
import { PostgresUnitOfWork } from "../../../src/adapters/postgres/repositories/unit-of-work.js";
import { HmacJoinTokenSigner, parseJoinTokenKeys } from "../../../src/adapters/tokens/hmac-join-token.js";
import { ValidateJoinToken } from "../../../src/features/join/validate-join-token.js";
import { isDomainError } from "../../../src/domain/errors.js";
import { bootApp, configureTenant, KMS_KEY, ManualClock, sessionBody, staffToken, TEST_JOIN_TOKEN_KEYS, type TestApp } from "../../support/app.js";
import { sql } from "../../support/join.js";
import { recordingPool } from "../../support/postgres.js";

type Json = Record<string, any>;

/**
 * Issue 14: a validation that changes nothing (a reload of the waiting-room page, an admitted
 * participant coming back) is answered from the join-state read (a read-only transaction), with
 * its audit row group-committed before the answer; everything else still runs as the command.
 */
describe("ValidateJoinToken: the no-change validation is a read (PostgreSQL)", () => {
  let app: TestApp;
  const clock = new ManualClock();
  let pool: pg.Pool;
  const sent: string[] = [];
  let validator: ValidateJoinToken;
  // The edge verifies the token (src/http/participant-auth.ts); the use case gets the credential.
  const signer = new HmacJoinTokenSigner(parseJoinTokenKeys(TEST_JOIN_TOKEN_KEYS));
  const credentialOf = (token: string) => {
    const claims = signer.verify(token);
    return { claims, actor: { kind: "participant" as const, tenantId: claims.tenantId, sessionId: claims.sessionId, participantId: claims.participantId } };
  };
  const validate = { execute: (token: string) => validator.execute(credentialOf(token)) };
  let scheduler: string;

  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "fast-a");
    scheduler = await staffToken("fast-a", ["scheduler"]);
    // The use case as main.ts wires it, on a tenant pool whose every query is recorded.
    pool = recordingPool(app.db!.serviceUrl, 2, sent);
    const db = drizzle(pool, { schema }) as unknown as Db;
    validator = new ValidateJoinToken({
      uow: new PostgresUnitOfWork(db, clock),
      audit: new GroupCommitAudit(app.service.database.system, clock),
      clock,
      joinQueries: new PostgresJoinQueries(db, clock),
      video: new JitsiMeetAdapter(new LocalKmsSecretStore(Buffer.from(KMS_KEY, "base64"))),
    });
  });
  afterAll(async () => {
    await pool?.end();
    await app?.close();
  });

  const createSession = async (): Promise<Json> => {
    const res = await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const tokenFor = async (s: Json, role: string): Promise<string> => {
    const pid = s.participants.find((p: Json) => p.role === role).id;
    // The clinician participant's token needs a clinician or admin (issue 20).
    const issuer = role === "clinician" ? await staffToken("fast-a", ["clinician"], "dr-1") : scheduler;
    const res = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${pid}/join-token`, token: issuer });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().token;
  };
  const sessionRow = async (id: string) => (await sql<{ version: number; status: string }>(app, "select version, status from virtual_sessions where id = $1", [id]))[0]!;
  const validationAudits = async (id: string) =>
    Number((await sql<{ n: string }>(app, "select count(*) as n from virtual_care_outbox where type = 'audit.virtualcare.join.validate' and aggregate_id = $1", [id]))[0]!.n);
  const sending = async <T>(work: () => Promise<T>) => {
    sent.length = 0;
    const result = await work();
    return { result, statements: [...sent] };
  };

  it("when a waiting patient validates again, then the answer comes from the join-state read, the session is unchanged, and one audit row per validation is committed before it", async () => {
    const s = await createSession();
    const token = await tokenFor(s, "patient");
    const first = await sending(() => validate.execute(token)); // invited → waiting: the command
    expect(first.result.destination).toBe("waiting_room");
    expect(first.statements).toContainEqual(expect.stringMatching(/^update "virtual_sessions"/)); // the read found a move due: the command
    const moved = await sessionRow(s.id);

    const again = await sending(() => validate.execute(token));
    expect(again.result).toEqual({ destination: "waiting_room", sessionId: s.id, participantId: first.result.participantId, role: "patient" });
    // One statement: the read with its audit row (issue 23), in a transaction of its own.
    expect(again.statements).toEqual([expect.stringMatching(/^begin read write;/), expect.stringMatching(/^with "read"\(.*\) as \(select .* from "session_participants"/), "commit"]);
    expect(await sessionRow(s.id)).toEqual(moved);
    // Counted right after the answer: the row was committed before the promise settled.
    expect(await validationAudits(s.id)).toBe(2);
  });

  it("when an admitted patient validates again, then direct_join with a video URL from the read, and the session is unchanged", async () => {
    const s = await createSession();
    const token = await tokenFor(s, "patient");
    await validate.execute(token);
    const pid = s.participants.find((p: Json) => p.role === "patient").id;
    const clinician = await staffToken("fast-a", ["clinician"], "dr-1");
    const admitted = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${pid}/admit`, token: clinician });
    expect(admitted.statusCode, admitted.body).toBe(200);
    const before = await sessionRow(s.id);
    const again = await sending(() => validate.execute(token));
    // The same statement; the row is not written there for a direct join (its video URL may still fail to sign).
    expect(again.statements).toEqual([expect.stringMatching(/^begin read write;/), expect.stringMatching(/^with "read"\(.*\) as \(select .* from "session_participants"/), "commit"]);
    expect(again.result.destination).toBe("direct_join");
    expect(again.result.videoJoinUrl).toMatch(/^https:\/\/primary\.meet\.example\.org\//);
    expect(await sessionRow(s.id)).toEqual(before);
    expect(await validationAudits(s.id)).toBe(2);
  });

  it("when an admitted participant's video backend was removed from the config, then the read path refuses with 503 and audits the failure with its reason", async () => {
    await configureTenant(app, "fast-b");
    const other = await staffToken("fast-b", ["scheduler"]);
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: other, body: sessionBody() });
    expect(created.statusCode, created.body).toBe(201);
    const s = created.json();
    const pid = s.participants.find((p: Json) => p.role === "patient").id;
    const issued = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${pid}/join-token`, token: other });
    const token = issued.json().token;
    await validate.execute(token);
    const admitted = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${pid}/admit`, token: await staffToken("fast-b", ["clinician"], "dr-1") });
    expect(admitted.statusCode, admitted.body).toBe(200);
    await configureTenant(app, "fast-b", { videoBackends: [{ name: "replacement" }] });
    const refused = await sending(() => validate.execute(token).then(() => "ok", (e) => (isDomainError(e) ? e.code : String(e))));
    expect(refused.result).toBe("VIDEO_PROVIDER_UNAVAILABLE");
    expect(refused.statements.some((q) => /^update "virtual_sessions"/.test(q))).toBe(false); // answered from the read
    const audits = await sql<{ outcome: string; reason: string | null }>(
      app,
      "select data->>'outcome' as outcome, data->>'reason' as reason from virtual_care_outbox where type = 'audit.virtualcare.join.validate' and aggregate_id = $1 order by seq",
      [s.id],
    );
    expect(audits.at(-1)).toEqual({ outcome: "failed", reason: "VIDEO_PROVIDER_UNAVAILABLE" });
  });

  it("when the clinician validates again, then direct_join with a video URL from the read; a removed patient is still refused by the command", async () => {
    const s = await createSession();
    const doctor = await tokenFor(s, "clinician");
    const first = await sending(() => validate.execute(doctor)); // invited → admitted: the command
    expect(first.result.destination).toBe("direct_join");
    expect(first.statements).toContainEqual(expect.stringMatching(/^update "virtual_sessions"/));
    const again = await sending(() => validate.execute(doctor));
    expect(again.result).toMatchObject({ destination: "direct_join", role: "clinician", videoJoinUrl: expect.stringMatching(/^https:\/\/primary\.meet\.example\.org\//) });
    expect(again.statements.some((q) => /^update "virtual_sessions"/.test(q))).toBe(false);

    const patient = await tokenFor(s, "patient");
    await validate.execute(patient);
    const pid = s.participants.find((p: Json) => p.role === "patient").id;
    const clinician = await staffToken("fast-a", ["clinician"], "dr-1");
    const removed = await app.request({ method: "DELETE", url: `/v1/sessions/${s.id}/participants/${pid}`, token: clinician });
    expect(removed.statusCode, removed.body).toBe(200);
    const refused = await validate.execute(patient).then(() => "ok", (e) => (isDomainError(e) ? e.code : String(e)));
    expect(refused).toBe("PARTICIPANT_REMOVED");
  });

  it("when the session was cancelled, or the token expired, then the command refuses as before (a read does not answer)", async () => {
    const s = await createSession();
    const token = await tokenFor(s, "patient");
    await validate.execute(token);
    const cancel = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/cancel`, token: scheduler, body: { reason: "patient asked" }, headers: { "if-match": `"2"` } });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const refused = await validate.execute(token).then(() => "ok", (e) => (isDomainError(e) ? e.code : String(e)));
    expect(refused).toBe("INVALID_STATUS_TRANSITION");

    const other = await createSession();
    const late = await tokenFor(other, "patient");
    await validate.execute(late);
    clock.advance(25 * 3600_000);
    try {
      const expired = await validate.execute(late).then(() => "ok", (e) => (isDomainError(e) ? e.code : String(e)));
      expect(expired).toBe("TOKEN_EXPIRED");
    } finally {
      clock.advance(-25 * 3600_000);
    }
  });
});
