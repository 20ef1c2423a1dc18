import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { CreateVirtualSession } from "./create-session.js";
import type { GetSessionList } from "./get-session-list.js";
import type { GetSessionDetail } from "./get-session-detail.js";
import type { EndSession } from "./end-session.js";
import type { CancelSession } from "./cancel-session.js";
import type { InitiateFallback } from "./initiate-fallback.js";
import { etag, parseIfMatch } from "../../http/preconditions.js";
import { CancelBody, CreateHeaders, CreateSessionBody, FallbackBody, SessionListQuery } from "./schemas.js";
import { json, problems } from "../../http/openapi/responses.js";
import { EXAMPLE_SESSION } from "../../platform/examples.js";
import { MutationHeaders, Session, SessionIdParams } from "../../platform/session-view.js";
import type { HttpFeature } from "../../http/app.js";
import { parseInstant } from "../../domain/instant.js";

const tags = ["sessions"];
const security = [{ bearerAuth: [] }];

export interface SessionServices {
  createSession: CreateVirtualSession;
  getSessionList: GetSessionList;
  getSessionDetail: GetSessionDetail;
  endSession: EndSession;
  cancelSession: CancelSession;
  initiateFallback: InitiateFallback;
}

export function sessionRoutes(services: SessionServices): HttpFeature {
  return {
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      // onRequest: the token is checked before any body is read or validated.
      app.addHook("onRequest", app.authenticateStaff);

      app.post(
        "/sessions",
        {
          schema: {
            tags,
            security,
            operationId: "createVirtualSession",
            summary: "Create a virtual session (CreateVirtualSession)",
            description:
              "Checks licence, consent, video backend health and room capacity in that order. " +
              "An `Idempotency-Key` makes a retried create return the first answer.",
            headers: CreateHeaders,
            body: CreateSessionBody,
            response: {
              201: json(Type.Ref(Session), "The session as created, or the first answer again for a repeated `Idempotency-Key`", {
                headers: ["ETag", "Location", "Idempotent-Replayed"],
              }),
              ...problems(
                "VALIDATION_FAILED",
                "FORBIDDEN",
                "MODULE_NOT_LICENSED",
                "CONSENT_REQUIRED",
                "APPOINTMENT_ALREADY_LINKED",
                "MAX_PARTICIPANTS_EXCEEDED",
                "IDEMPOTENCY_KEY_REUSED",
                // Only when the tenant's configuration kept changing during five attempts (create-session.ts).
                "OPTIMISTIC_LOCK_CONFLICT",
                "CONSENT_CHECK_UNAVAILABLE",
                "VIDEO_PROVIDER_UNAVAILABLE",
                "PROVIDER_QUOTA_EXCEEDED",
              ),
            },
          },
        },
        async (req, reply) => {
          const b = req.body;
          const { session, replayed } = await services.createSession.execute(
            req.actor,
            {
              patientId: b.patientId,
              providerId: b.providerId,
              scheduledStart: parseInstant(b.scheduledStart, "/scheduledStart"),
              scheduledEnd: b.scheduledEnd ? parseInstant(b.scheduledEnd, "/scheduledEnd") : undefined,
              appointmentId: b.appointmentId,
              participants: b.participants,
            },
            req.headers["idempotency-key"],
          );
          if (replayed) reply.header("idempotent-replayed", "true");
          return reply.code(201).header("etag", etag(session.version)).header("location", `/v1/sessions/${session.id}`).send(session);
        },
      );

      app.get(
        "/sessions",
        {
          schema: {
            tags,
            security,
            operationId: "getSessionList",
            summary: "List sessions (GetSessionList)",
            description: "Newest `scheduledStart` first; `status` may repeat; pass `nextCursor` back as `cursor`.",
            querystring: SessionListQuery,
            response: {
              200: json(
                Type.Object({
                  items: Type.Array(Type.Ref(Session), { maxItems: 100 }),
                  nextCursor: Type.Union([Type.String(), Type.Null()], { description: "pass it as `cursor` for the next page; null on the last" }),
                }),
                "One page of sessions",
                { example: { items: [EXAMPLE_SESSION], nextCursor: null } },
              ),
              ...problems("VALIDATION_FAILED", "FORBIDDEN"),
            },
          },
        },
        async (req) => {
          const q = req.query;
          return services.getSessionList.execute(req.actor, {
            statuses: q.status,
            patientId: q.patientId,
            providerId: q.providerId,
            from: q.from ? parseInstant(q.from, "/from") : undefined,
            to: q.to ? parseInstant(q.to, "/to") : undefined,
            limit: q.limit,
            cursor: q.cursor,
          });
        },
      );

      app.get(
        "/sessions/:id",
        {
          schema: {
            tags,
            security,
            operationId: "getSessionDetail",
            summary: "Read a session with its participants (GetSessionDetail)",
            description: "Audited as a read of patient data. `ETag` is the version to send as `If-Match` with a change.",
            params: SessionIdParams,
            response: { 200: json(Type.Ref(Session), "The session", { headers: ["ETag"] }), ...problems("FORBIDDEN", "NOT_FOUND") },
          },
        },
        async (req, reply) => {
          const session = await services.getSessionDetail.execute(req.actor, req.params.id);
          return reply.header("etag", etag(session.version)).send(session);
        },
      );

      app.post(
        "/sessions/:id/end",
        {
          schema: {
            tags,
            security,
            operationId: "endSession",
            summary: "End the visit (EndSession)",
            description:
              "in_progress or fallback → ended (clinician, admin). Publishes `virtualcare.session.ended.v1` and the billing event, and " +
              "creates the FHIR Encounter (retried later when the FHIR server is down: `encounterId` stays null until then).",
            params: SessionIdParams,
            headers: MutationHeaders,
            response: {
              200: json(Type.Ref(Session), "The ended session", { headers: ["ETag"] }),
              ...problems("FORBIDDEN", "NOT_FOUND", "INVALID_STATUS_TRANSITION", "OPTIMISTIC_LOCK_CONFLICT"),
            },
          },
        },
        async (req, reply) => {
          const session = await services.endSession.execute(req.actor, req.params.id, parseIfMatch(req.headers["if-match"]));
          return reply.header("etag", etag(session.version)).send(session);
        },
      );

      app.post(
        "/sessions/:id/cancel",
        {
          schema: {
            tags,
            security,
            operationId: "cancelSession",
            summary: "Cancel a scheduled session (CancelSession)",
            description:
              "scheduled → cancelled (clinician, scheduler, admin). The reason goes to `virtualcare.session.cancelled.v1`, which lists the " +
              "participants to notify; their join tokens answer 409 from then on.",
            params: SessionIdParams,
            headers: MutationHeaders,
            body: CancelBody,
            response: {
              200: json(Type.Ref(Session), "The cancelled session", { headers: ["ETag"] }),
              ...problems("VALIDATION_FAILED", "FORBIDDEN", "NOT_FOUND", "INVALID_STATUS_TRANSITION", "OPTIMISTIC_LOCK_CONFLICT"),
            },
          },
        },
        async (req, reply) => {
          const session = await services.cancelSession.execute(
            req.actor,
            req.params.id,
            req.body.reason,
            parseIfMatch(req.headers["if-match"]),
          );
          return reply.header("etag", etag(session.version)).send(session);
        },
      );

      app.post(
        "/sessions/:id/fallback",
        {
          schema: {
            tags,
            security,
            operationId: "initiateFallback",
            summary: "Move the visit to async messaging (InitiateFallback)",
            description:
              "scheduled or in_progress → fallback (clinician, admin): the visit goes on in writing. Also happens by itself when a " +
              "participant reports bandwidth below the tenant's threshold (POST /v1/join/bandwidth).",
            params: SessionIdParams,
            headers: MutationHeaders,
            body: FallbackBody,
            response: {
              200: json(Type.Ref(Session), "The session in fallback", { headers: ["ETag"] }),
              ...problems("VALIDATION_FAILED", "FORBIDDEN", "NOT_FOUND", "INVALID_STATUS_TRANSITION", "OPTIMISTIC_LOCK_CONFLICT"),
            },
          },
        },
        async (req, reply) => {
          const session = await services.initiateFallback.execute(
            req.actor,
            req.params.id,
            { reason: req.body.reason, measuredKbps: req.body.measuredKbps },
            parseIfMatch(req.headers["if-match"]),
          );
          return reply.header("etag", etag(session.version)).send(session);
        },
      );
    },
  };
}
