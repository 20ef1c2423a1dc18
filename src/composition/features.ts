import type { TransactionContext } from "../adapters/postgres/repositories/unit-of-work.js";
import type { Config } from "../config.js";
import { aiSummaryFeature } from "../features/ai-summary/wiring.js";
import { asyncVisitsFeature } from "../features/async-visits/wiring.js";
import { joinFeature } from "../features/join/wiring.js";
import { participantsFeature } from "../features/participants/wiring.js";
import { patientsFeature } from "../features/patients/wiring.js";
import type { AppointmentSessions } from "../features/scheduling/ports.js";
import { sessionsFeature } from "../features/sessions/wiring.js";
import { tenantConfigFeature } from "../features/tenant-config/wiring.js";
import { webhooksFeature } from "../features/webhooks/wiring.js";
import { cloudEventBodies } from "../adapters/webhooks/cloud-event-bodies.js";
import type { HttpFeature } from "../http/app.js";
import type { UnitOfWork } from "../platform/ports.js";
import type { Adapters } from "./adapters.js";

export type Features = ReturnType<typeof wireFeatures>;

/** Step 3 of the composition root: each feature wired from its adapters, in plain code. */
export function wireFeatures(config: Config, a: Adapters) {
  const { shared } = a;
  const ai = aiSummaryFeature({ ...shared, system: a.system, gateway: a.aiGateway, chart: a.fhir });
  const sessions = sessionsFeature({
    ...shared,
    system: a.system,
    queries: a.queries.sessions,
    tenantConfigs: a.tenantConfigs,
    consent: a.consent,
    videoHealth: a.videoHealth,
    rooms: a.video,
    encounters: a.fhir,
    // An ended visit may have a transcript waiting for its summary.
    afterEnded: [async () => ai.worker.kick()],
    waitingBoard: { queries: a.queries.waitingBoard, changes: a.changes },
  });
  const participants = participantsFeature({ ...shared, queries: a.queries.sessions, video: a.video, changes: a.changes });
  const join = joinFeature({
    ...shared,
    changes: a.changes,
    joinQueries: a.queries.join,
    linkRequestQueries: a.queries.linkRequests,
    signer: a.signer,
    video: a.video,
    publicBaseUrl: config.publicBaseUrl,
  });
  const webhooks = webhooksFeature({
    ...shared,
    system: a.system,
    tenantConfigs: a.tenantConfigs,
    queries: a.queries.webhooks,
    sender: a.webhookSender,
    bodies: cloudEventBodies(config.publicBaseUrl),
    secrets: a.secrets,
    retryDelaysMs: config.webhooks.retryDelaysMs,
    // Longer than an attempt can take (the receiver's time plus the recording), so a live send keeps its delivery.
    leaseMs: 2 * config.webhooks.timeoutMs + 10_000,
  });
  // Registered in this order (it is also the order of the OpenAPI document).
  const routes: HttpFeature[] = [
    sessions.http,
    sessions.board,
    participants.http,
    patientsFeature({ directory: a.patients, audit: shared.audit }),
    tenantConfigFeature({ ...shared, tenantConfigs: a.tenantConfigs, secrets: a.secrets, videoKeys: a.videoKeys, webhookTargets: a.webhookTargets }),
    join.join,
    join.events,
    // Between the patient's stream and the probes, where the OpenAPI document has always had it.
    participants.stream,
    join.probe,
    join.linkRequests,
    ai.http,
    webhooks.http,
    asyncVisitsFeature({
      ...shared,
      files: a.files,
      attachments: a.attachments,
      queue: a.offlineQueue,
      queries: a.queries.asyncVisits,
    }),
  ];
  // The scheduling consumer runs the API's own use cases on its inbox unit of work (flow 4.4).
  const appointmentSessions: AppointmentSessions<UnitOfWork<TransactionContext>> = {
    create: async (on, actor, visit) => {
      await sessions.commandsOn(on).create.execute(actor, visit);
    },
    cancel: async (on, actor, sessionId, reason) => {
      await sessions.commandsOn(on).cancel.execute(actor, sessionId, reason);
    },
  };
  return { routes, sessions, ai, webhooks, appointmentSessions };
}
