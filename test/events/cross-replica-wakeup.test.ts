import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
import { sessionBody, staffToken } from "../support/app.js";
import { eventually, PrivateNats, StreamReader } from "../support/nats.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { ServiceProcess } from "../support/service-process.js";
import { streamText } from "../support/sse.js";

/**
 * The relay and the waiting-room streams are woken after a commit: in the writing process
 * directly, on other replicas by one NOTIFY sent after the commit (change-signals.ts). With the
 * relay's poll and the streams' re-check far away (30 s / 45–75 s), only that signal can make these
 * arrive this soon (the bounds leave room for a loaded CI machine).
 */
describe("wake-ups across replicas (two child processes, PostgreSQL, own nats-server)", () => {
  let nats: PrivateNats;
  let db: TestDatabase;
  let fhir: EmbeddedFhirServer;
  let stream: StreamReader;
  const replicas: ServiceProcess[] = [];
  const tenant = `wake-${randomUUID().slice(0, 8)}`;
  let token: string;

  const call = async (replica: ServiceProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(replica.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, any>) : {};
  };

  beforeAll(async () => {
    nats = await PrivateNats.start();
    db = await createTestDatabase();
    fhir = new EmbeddedFhirServer();
    await fhir.start();
    stream = await StreamReader.at(nats.url, "VIRTUAL_CARE");
    const env = { DATABASE_URL: db.url, NATS_URL: nats.url, FHIR_BASE_URL: fhir.baseUrl, RELAY_POLL_INTERVAL_MS: "30000" };
    // Started together, as a deployment's replicas are: the migration lock lets one migrate first.
    replicas.push(...(await Promise.all([0, 1].map(() => ServiceProcess.start(env)))));
    token = await staffToken(tenant, ["admin", "platform_admin", "scheduler", "clinician"]);
    const backends = [{ name: "primary", provider: "jitsi", domain: "primary.meet.example.org", appId: "vcs-test", secret: "secret-for-primary-0123456789abcdef", healthUrl: null, maxConcurrentRooms: null }];
    await call(replicas[0]!, "PUT", "/v1/tenant-config", { licensed: true, consentRequired: false, videoBackends: backends });
  }, 120_000);
  afterAll(async () => {
    for (const r of replicas) await r.kill();
    await stream?.close();
    await fhir?.stop();
    await db?.drop();
    await nats?.destroy();
  });

  const leaderAndStandby = async () => {
    const leader = await eventually("one relay leader", () => replicas.find((r) => r.isLeader()));
    return { leader, standby: replicas.find((r) => r !== leader)! };
  };

  it("when a replica that does not relay commits an event, then the leader publishes it within seconds, not at its next poll", async () => {
    const { standby } = await leaderAndStandby();
    const started = Date.now();
    const created = await call(standby, "POST", "/v1/sessions", sessionBody({ patientId: "wake-patient" }));
    await eventually(
      "session.created in the stream",
      async () => (await stream.read()).find((r) => r.event.type === "virtualcare.session.created.v1" && r.event.data.sessionId === created.id),
      15_000,
      50,
    );
    // Half the relay's poll interval: only the standby's signal can have woken the leader this soon.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("when the clinician admits on one replica, then the patient's stream on the other replica sends the admission within seconds", async () => {
    const [onA, onB] = replicas as [ServiceProcess, ServiceProcess];
    const s = await call(onA, "POST", "/v1/sessions", sessionBody({ patientId: "stream-patient" }));
    const patient = (s.participants as Array<{ id: string; role: string }>).find((p) => p.role === "patient")!;
    const { token: joinToken } = await call(onA, "POST", `/v1/sessions/${s.id}/participants/${patient.id}/join-token`);
    await call(onA, "POST", "/v1/join/validate", { token: joinToken });

    const events = await fetch(`${onA.url}/v1/join/events`, { headers: { "x-join-token": joinToken } });
    expect(events.status).toBe(200);
    const stream = streamText(events);
    const until = (pattern: RegExp) => stream.until(pattern);
    expect(await until(/"participantStatus":"waiting"/)).toBe(true);

    const admittedAt = Date.now();
    await call(onB, "POST", `/v1/sessions/${s.id}/participants/${patient.id}/admit`);
    expect(await until(/"participantStatus":"admitted"/)).toBe(true);
    // The stream re-reads unwoken only about every 60 s: arriving this soon, it was woken by replica B's signal.
    expect(Date.now() - admittedAt).toBeLessThan(20_000);
    await stream.cancel();
  });
});
