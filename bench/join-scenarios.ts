import { createHash, createHmac, randomInt, timingSafeEqual } from "node:crypto";
import { HmacJoinTokenSigner, parseJoinTokenKeys } from "../src/adapters/tokens/hmac-join-token.js";
import type { HttpRequest } from "./load.js";
import type { BenchContext, Scenario } from "./scenarios.js";
import { auditRead, auditRowValues, inTenant } from "./tenant-tx.js";
import { waitingPatients, type SeedSize } from "./seed.js";
import * as sql from "./statements.js";
import { leastValidate } from "./least-work.js";

/** `JOIN_TOKEN_KEYS` of the service and the limit in the bench: one key, fixed, bench only. */
export const BENCH_JOIN_TOKEN_KEYS = `bench:${createHash("sha256").update("vcs-bench:join").digest("base64")}`;

/**
 * One join token per waiting patient of the seed, minted with the service's own signer and key
 * (what POST …/join-token would hand out), valid for a day.
 */
export function mintJoinTokens(size: SeedSize): string[] {
  const signer = new HmacJoinTokenSigner(parseJoinTokenKeys(BENCH_JOIN_TOKEN_KEYS));
  const expiresAt = new Date(Date.now() + 24 * 3600_000);
  return waitingPatients(size).map((p) => signer.issue({ ...p, expiresAt }));
}

/**
 * The limit's token check: the same work as the service's signer (one HMAC-SHA256 over the
 * token, a constant-time compare, the JSON payload decoded), written bare. Included in the limit
 * because no correct implementation of the route can skip it: without it the bare route would
 * answer for ids anyone can type.
 */
const LIMIT_KEY = Buffer.from(BENCH_JOIN_TOKEN_KEYS.slice(BENCH_JOIN_TOKEN_KEYS.indexOf(":") + 1), "base64");
function verifyBare(token: string): { tenantId: string; sessionId: string; participantId: string; exp: number } {
  const [kid, payload, mac] = token.split(".") as [string, string, string];
  const expected = Buffer.from(createHmac("sha256", LIMIT_KEY).update(`vcs-join-token.${kid}.${payload}`).digest("base64url"));
  if (!timingSafeEqual(expected, Buffer.from(mac ?? ""))) throw new Error("bad token");
  const [, tenantId, sessionId, participantId, exp] = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as [number, string, string, string, number];
  if (exp * 1000 <= Date.now()) throw new Error("expired");
  return { tenantId, sessionId, participantId, exp };
}

const tokenRequest = (ctx: BenchContext, method: HttpRequest["method"], path: string): HttpRequest => {
  const token = ctx.joinTokens[randomInt(ctx.joinTokens.length)] ?? "";
  return method === "GET"
    ? { method, path, headers: { "x-join-token": token } }
    : { method, path, headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) };
};

/** GET /v1/join/status of a waiting patient: one statement, no audit (the poll writes nothing). */
export const statusScenario: Scenario = {
  key: "status",
  name: "join status (waiting)",
  p99AtHalfPeak: true,
  request: (ctx) => tokenRequest(ctx, "GET", "/v1/join/status"),
  limit: {
    method: "GET",
    url: "/v1/join/status",
    handle: async (pool, req) => {
      const c = verifyBare(String(req.headers["x-join-token"] ?? ""));
      const values = [c.participantId, c.sessionId, c.tenantId];
      const { rows } = await inTenant(pool, c.tenantId, "read only", (client) => client.query({ name: sql.PREPARED.joinState, text: sql.SELECT_JOIN_STATE, values, rowMode: "array" }), true);
      const row = rows[0] as unknown[] | undefined;
      if (!row) throw new Error("not found");
      return { participantStatus: row[10], sessionStatus: row[0] };
    },
  },
  // One statement already: the least work is the same work.
  least: (pool, req) => statusScenario.limit.handle(pool, req),
};

/**
 * POST /v1/join/validate by patients already in the waiting room: what a reload of the
 * waiting-room page sends. Nothing is due, so the service answers from the join-state read (a
 * read-only transaction, as the poll reads) and group-commits the `join.validate` audit row
 * before answering (features/join/validate-join-token.ts); the limit sends the same read and the
 * audit batch INSERT.
 */
export const validateScenario: Scenario = {
  key: "validate",
  name: "join validate (waiting)",
  request: (ctx) => tokenRequest(ctx, "POST", "/v1/join/validate"),
  limit: {
    method: "POST",
    url: "/v1/join/validate",
    handle: async (pool, req) => {
      const c = verifyBare(String(req.body.token ?? ""));
      const values = [c.participantId, c.sessionId, c.tenantId];
      // The read with its audit row, as the service sends it since issue 23 (one statement); the
      // group-committed INSERT only when the read did not write it (never, for these patients).
      const targets = { sessionId: c.sessionId, participantId: c.participantId };
      const actor = { kind: "participant", id: c.participantId };
      const audited = [...values, ...auditRowValues(c.tenantId, "join.validate", targets, actor)];
      const { rows } = await inTenant(pool, c.tenantId, "read write", (client) => client.query({ name: sql.PREPARED.joinStateAudited, text: sql.SELECT_JOIN_STATE_AUDITED, values: audited, rowMode: "array" }), true);
      const row = rows[0] as unknown[] | undefined;
      if (!row) throw new Error("not found");
      if (row[14] !== true) await auditRead(req.system, c.tenantId, "join.validate", targets, actor);
      return { destination: "waiting_room", sessionId: c.sessionId, participantId: c.participantId, role: row[8] };
    },
  },
  least: (pool, req) => leastValidate(pool, verifyBare(String(req.body.token ?? ""))),
};
