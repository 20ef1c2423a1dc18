import { expect } from "vitest";
import { jwtVerify, type JWTPayload } from "jose";
import pg from "pg";
import type { TestApp } from "./app.js";

/** The secret `configureTenant` gives a backend named `name` (what the Jitsi host would share). */
export const backendSecret = (name = "primary") => `secret-for-${name}-0123456789abcdef`;

/** Runs one SQL query against the suite's own database (PostgreSQL suites only). */
export async function sql<T extends Record<string, unknown>>(app: TestApp, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: app.db!.url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Outbox rows of one session (events and audit records), oldest first. */
export function outboxTypes(app: TestApp, sessionId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  return sql(app, "select type, data from virtual_care_outbox where aggregate_id = $1 order by seq", [sessionId]);
}

export interface VideoLink {
  domain: string;
  room: string;
  payload: JWTPayload & { room?: unknown; context?: { user?: Record<string, unknown> } };
}

/**
 * Splits a video join URL and verifies its JWT as Jitsi's prosody token module would: HS256 with
 * the backend secret, audience "jitsi", issuer = appId, subject = domain.
 */
export async function verifyVideoUrl(url: string, opts: { domain: string; appId?: string; secret?: string; at: Date }): Promise<VideoLink> {
  const u = new URL(url);
  expect(u.protocol).toBe("https:");
  expect(u.host).toBe(opts.domain);
  const jwt = u.searchParams.get("jwt");
  expect(jwt).toBeTruthy();
  const { payload, protectedHeader } = await jwtVerify(jwt!, new TextEncoder().encode(opts.secret ?? backendSecret()), {
    algorithms: ["HS256"],
    audience: "jitsi",
    issuer: opts.appId ?? "vcs-test",
    subject: opts.domain,
    currentDate: opts.at,
  });
  expect(protectedHeader.alg).toBe("HS256");
  return { domain: u.host, room: decodeURIComponent(u.pathname.slice(1)), payload };
}
