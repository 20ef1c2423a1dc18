import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { EmbeddedFhirServer } from "../../../src/adapters/fhir/embedded-fhir-server.js";
import { sessionBody, staffToken } from "../../support/app.js";
import { eventually } from "../../support/nats.js";
import { createTestDatabase, type TestDatabase } from "../../support/postgres.js";
import { ServiceProcess } from "../../support/service-process.js";
import { WebhookReceiver } from "../../support/webhook-receiver.js";

/**
 * "None lost across a restart of the service" (issue 21): the service is killed with -9 while
 * webhook deliveries are in flight to a slow receiver, and started again on the same database.
 * Every committed event still reaches the receiver, verified by `standardwebhooks`; a delivery
 * that was in flight is sent again (at least once, same webhook-id) once its lease runs out.
 */
describe("webhooks across a kill -9 of the service (child process, PostgreSQL)", () => {
  let db: TestDatabase;
  let fhir: EmbeddedFhirServer;
  let service: ServiceProcess | null = null;
  const receiver = new WebhookReceiver();
  const tenant = "hooks-restart";
  const env = () => ({
    DATABASE_URL: db.url,
    FHIR_BASE_URL: fhir.baseUrl,
    WEBHOOK_ALLOW_PRIVATE: "true",
    WEBHOOK_POLL_INTERVAL_MS: "50",
    WEBHOOK_TIMEOUT_MS: "1000",
    WEBHOOK_CONCURRENCY: "2",
    WEBHOOK_RETRY_DELAYS_MS: "200,400,800,1600,3200",
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    fhir = new EmbeddedFhirServer();
    await fhir.start();
    await receiver.start();
    service = await ServiceProcess.start(env());
  });
  afterAll(async () => {
    await service?.kill();
    await receiver.stop();
    await fhir?.stop();
    await db?.drop();
  });

  it("when the service is killed while delivering and restarted, then every committed event reaches the receiver, verified", { timeout: 120_000 }, async () => {
    const admin = await staffToken(tenant, ["admin", "platform_admin"]);
    const configured = await service!.request("PUT", "/v1/tenant-config", admin, {
      licensed: true,
      consentRequired: false,
      videoBackends: [{ name: "primary", provider: "jitsi", domain: "meet.example.org", appId: "vcs-test", secret: "secret-for-primary-0123456789abcdef" }],
      webhooks: [{ name: "crm", url: receiver.url, eventTypes: ["virtualcare.session.created.v1"] }],
    });
    expect(configured.status).toBe(200);
    receiver.secret = configured.json.webhooks[0].secret;
    receiver.delayMs = 150;

    const staff = await staffToken(tenant, ["scheduler"]);
    for (let i = 0; i < 30; i++) expect((await service!.request("POST", "/v1/sessions", staff, sessionBody())).status).toBe(201);
    await eventually("a few deliveries", () => receiver.received.length >= 5, 30_000, 10);
    await service!.kill("SIGKILL");
    const heardBeforeKill = new Set(receiver.received.map((w) => w.id)).size;
    expect(heardBeforeKill).toBeLessThan(30);

    service = await ServiceProcess.start(env());
    const owner = new pg.Client({ connectionString: db.url });
    await owner.connect();
    try {
      const committed = (await owner.query("select id from virtual_care_outbox where tenant_id = $1 and type = 'virtualcare.session.created.v1'", [tenant])).rows.map((r) => r.id as string);
      expect(committed).toHaveLength(30);
      await eventually("every event after the restart", () => receiver.events().length === 30, 60_000, 100);
      expect(receiver.received.every((w) => w.verified.ok)).toBe(true);
      expect(receiver.events().map((e) => e.id).sort()).toEqual([...committed].sort());
      await eventually("the log to show all delivered", async () => {
        const rows = (await owner.query("select count(*)::int as n from webhook_deliveries where tenant_id = $1 and status = 'delivered'", [tenant])).rows;
        return rows[0].n === 30;
      });
    } finally {
      await owner.end();
    }
  });
});
