import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MagicNumberFileTypeDetector } from "../../../src/adapters/files/file-type-detector.js";
import { PostgresUnitOfWork } from "../../../src/adapters/postgres/repositories/unit-of-work.js";
import { PostgresAttachmentStore } from "../../../src/adapters/postgres/repositories/attachment-chunk-store.js";
import { OutboxAudit } from "../../../src/adapters/postgres/repositories/unit-of-work.js";
import type { Actor } from "../../../src/platform/ports.js";
import { SubmitAsyncVisit } from "../../../src/features/async-visits/submit-async-visit.js";
import { isDomainError } from "../../../src/domain/errors.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { samples } from "../../support/multipart.js";

/**
 * The patient path of SubmitAsyncVisit, below HTTP: join tokens are verified on another branch, and
 * once merged the route hands the verified participant actor to this same use case.
 */
describe("SubmitAsyncVisit for a participant of a session", () => {
  let app: TestApp;
  let submit: SubmitAsyncVisit;
  let session: { id: string; participants: Array<{ id: string; role: string }> };

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "clinic-p");
    const scheduler = await staffToken("clinic-p", ["scheduler"]);
    const res = await app.request({
      method: "POST",
      url: "/v1/sessions",
      token: scheduler,
      body: sessionBody({ patientId: "pat-p", providerId: "dr-p", participants: [{ role: "guest", displayName: "Neighbour" }] }),
    });
    session = res.json();
    const { db, system } = app.service.database;
    // Fixed at the visit's morning: participants submit only near their visit (issue 11).
    const clock = { now: () => new Date("2026-12-01T09:00:00Z") };
    submit = new SubmitAsyncVisit({
      uow: new PostgresUnitOfWork(db, clock),
      // As main.ts wires it: audit entries outside a transaction are the system writer's.
      audit: new OutboxAudit(system, clock),
      clock,
      ids: { uuid: () => randomUUID() },
      files: new MagicNumberFileTypeDetector(),
      attachments: new PostgresAttachmentStore(db, clock),
    });
  });
  afterAll(() => app.close());

  const as = (role: string, tenantId = "clinic-p"): Actor => ({
    kind: "participant",
    tenantId,
    sessionId: session.id,
    participantId: session.participants.find((p) => p.role === role)!.id,
  });
  const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e) => (isDomainError(e) ? e.code : "unexpected"));

  it("when the patient submits, then the visit belongs to the session's patient and provider, whatever the body claims", async () => {
    const patient = as("patient") as Extract<Actor, { kind: "participant" }>;
    const photo = await submit.receiveAttachment(patient, 0, { filename: "wound.jpg", declaredType: "image/jpeg", bytes: Readable.from([samples.jpeg]) });
    const { id } = await submit.execute(patient, { patientId: "someone-else", text: "photo of the wound", attachments: [photo] });
    const row = await app.owner.query("select patient_id, provider_id, session_id, submitted_by_kind, submitted_by_id from async_visits where id = $1", [id]);
    expect(row.rows[0]).toEqual({ patient_id: "pat-p", provider_id: "dr-p", session_id: session.id, submitted_by_kind: "participant", submitted_by_id: patient.participantId });
  });

  it("when a guest submits, then FORBIDDEN; with another tenant's claim, then NOT_FOUND", async () => {
    expect(await codeOf(submit.execute(as("guest"), { text: "hi", attachments: [] }))).toBe("FORBIDDEN");
    expect(await codeOf(submit.execute(as("patient", "clinic-q"), { text: "hi", attachments: [] }))).toBe("MODULE_NOT_LICENSED");
    await configureTenant(app, "clinic-q");
    expect(await codeOf(submit.execute(as("patient", "clinic-q"), { text: "hi", attachments: [] }))).toBe("NOT_FOUND");
  });
});
