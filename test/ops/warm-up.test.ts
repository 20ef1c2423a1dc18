import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/nats.js";
import { OtlpReceiver, SpanKind } from "../support/otlp-receiver.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { ServiceProcess } from "../support/service-process.js";
import { suitePool } from "../support/postgres.js";

const VALIDATE = "/v1/join/validate";

/**
 * Issue 20, item 12: the start-up warm-up (300 token checks before the first listen) is not
 * traffic. The service runs as an operator runs it (child process, OTLP to a receiver the test
 * runs, rate limits on); the test then makes one such request itself, so each signal must show
 * exactly that one.
 */
describe("the start-up warm-up leaves no metric samples, spans or log lines (child process)", () => {
  let db: TestDatabase;
  let receiver: OtlpReceiver;
  let service: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await OtlpReceiver.start();
    service = await ServiceProcess.start({
      // As production connects: a role that owns nothing (else the start warns about row-level security).
      DATABASE_URL: db.serviceUrl,
      MIGRATION_DATABASE_URL: db.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: "100",
      RATE_LIMIT_ANONYMOUS_PER_MIN: "60",
    });
  }, 120_000);
  afterAll(async () => {
    await service?.kill();
    await receiver?.close();
    await db?.drop();
  });

  it("when the service has started and one token check is made, then metrics, traces and the log show that one only", async () => {
    const res = await fetch(`${service.url}${VALIDATE}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "not-a-token" }) });
    expect(res.status).toBe(401);

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const samples = metrics.split("\n").filter((l) => l.startsWith("http_request_duration_seconds_count") && l.includes(`route="${VALIDATE}"`));
    expect(samples).toEqual([expect.stringMatching(/status_code="401"\} 1$/)]);

    // Spans are exported in the order they end: once the test's own has arrived, any warm-up span has too.
    const validateSpans = () => receiver.spans.filter((s) => s.kind === SpanKind.server && s.attributes["http.route"] === VALIDATE);
    await eventually("the test request's span", async () => validateSpans().length > 0);
    expect(validateSpans()).toHaveLength(1);

    await eventually("the test request's log line", async () => service.logs.some((l) => l.msg === "request" && JSON.stringify(l.req).includes(VALIDATE)));
    expect(service.logs.filter((l) => JSON.stringify(l).includes(VALIDATE))).toHaveLength(1);
    expect(service.logs.filter((l) => Number(l.level) >= 40).map((l) => l.msg)).toEqual([]);

    // Nor the audit trail: the warm-up's deliberate bad token is no forged-token attempt to record.
    const owner = suitePool(db.url, 1);
    try {
      const denials = await eventually("the test request's edge denial", async () => {
        const { rows } = await owner.query<{ n: string }>(
          "select count(*) as n from virtual_care_outbox where type = 'audit.virtualcare.auth.authenticate' and data->>'reason' = 'TOKEN_INVALID'",
        );
        return Number(rows[0]!.n) > 0 ? Number(rows[0]!.n) : undefined;
      });
      expect(denials).toBe(1);
    } finally {
      await owner.end();
    }
  });
});
