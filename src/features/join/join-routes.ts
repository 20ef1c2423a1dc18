import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { Type } from "@sinclair/typebox";
import type { ValidateJoinToken } from "./validate-join-token.js";
import type { GetJoinStatus } from "./get-join-status.js";
import type { ReportBandwidth } from "./report-bandwidth.js";
import type { GetJoinToken } from "./get-join-token.js";
import type { GetClinic } from "./get-clinic.js";
import { BandwidthBody, ClinicResponse, JoinStatusResponse, JoinTokenHeaders, JoinTokenResponse, ValidateJoinBody, ValidationResponse } from "./schemas.js";
import { json, problems } from "../../http/openapi/responses.js";
import { ParticipantParams } from "../../platform/session-view.js";
import type { HttpFeature } from "../../http/app.js";

const tags = ["join"];
const joinSecurity = [{ joinToken: [] }];

/**
 * Routes of patients and guests, who hold a join token instead of a staff JWT: sent as the
 * `X-Join-Token` header (or the body field `token` where a route takes a body). The edge step
 * (`app.authenticateParticipant`) verifies it once, where the handler used to, after the body is
 * validated: refusals come in the same order as before. The use cases judge expiry.
 */
export interface JoinServices {
  validateJoinToken: ValidateJoinToken;
  getJoinStatus: GetJoinStatus;
  reportBandwidth: ReportBandwidth;
  getJoinToken: GetJoinToken;
  getClinic: GetClinic;
}

export function joinRoutes(services: JoinServices): HttpFeature {
  return {
    schemas: [JoinStatusResponse],
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      const participant = async (req: FastifyRequest) => {
        app.authenticateParticipant(req);
      };
      app.post(
        "/join/validate",
        {
          schema: {
            tags,
            security: joinSecurity,
            operationId: "validateJoinToken",
            summary: "Validate a join token (ValidateJoinToken)",
            description:
              "The clinician gets `direct_join`; others `waiting_room` while the tenant's waiting room is on. " +
              "Moves the participant to waiting or admitted (idempotent); only `direct_join` carries `videoJoinUrl`.",
            headers: JoinTokenHeaders,
            body: ValidateJoinBody,
            response: {
              200: json(ValidationResponse, "Where the participant goes now"),
              ...problems(
                "VALIDATION_FAILED",
                "TOKEN_EXPIRED",
                "MODULE_NOT_LICENSED",
                "PARTICIPANT_REMOVED",
                "NOT_FOUND",
                "INVALID_STATUS_TRANSITION",
                "OPTIMISTIC_LOCK_CONFLICT",
                "VIDEO_PROVIDER_UNAVAILABLE",
              ),
            },
          },
          // With the token in the header there is nothing left to send in the body.
          preValidation: async (req) => {
            if (req.body === undefined) req.body = {};
          },
          preHandler: async (req) => {
            app.authenticateParticipant(req, req.body);
          },
        },
        (req) => services.validateJoinToken.execute(req.participant),
      );

      app.get(
        "/join/status",
        {
          schema: {
            tags,
            security: joinSecurity,
            operationId: "getJoinStatus",
            summary: "Waiting-room poll",
            description:
              "Participant and session status. Once admitted it carries `videoJoinUrl` again (a rejoin after a " +
              "page reload). An ended or cancelled session answers 409 with `currentStatus`; an invited participant of an " +
              "unlicensed tenant 403 `MODULE_NOT_LICENSED` (as validating would).",
            headers: JoinTokenHeaders,
            response: {
              200: json(Type.Ref(JoinStatusResponse), "The participant's and the session's status"),
              ...problems("TOKEN_EXPIRED", "MODULE_NOT_LICENSED", "PARTICIPANT_REMOVED", "NOT_FOUND", "INVALID_STATUS_TRANSITION", "VIDEO_PROVIDER_UNAVAILABLE"),
            },
          },
          preHandler: participant,
        },
        (req) => services.getJoinStatus.execute(req.participant),
      );

      app.get(
        "/join/clinic",
        {
          schema: {
            tags,
            security: joinSecurity,
            operationId: "getJoinClinic",
            summary: "The clinic's identity for the patient's pages",
            description:
              "Name, logo, accent colour and contact of the link's clinic (tenant config `branding`; null: not set). " +
              "Answers any correctly signed token, expired or of a visit that is over, so refusal screens can show " +
              "whom to contact; a token that does not verify is 401.",
            headers: JoinTokenHeaders,
            response: { 200: json(ClinicResponse, "The clinic's identity (null fields are not shown)") },
          },
          preHandler: participant,
        },
        async (req, reply) => reply.header("cache-control", "no-store").send(await services.getClinic.execute(req.participant)),
      );

      app.post(
        "/join/bandwidth",
        {
          schema: {
            tags,
            security: joinSecurity,
            operationId: "reportBandwidth",
            summary: "Report measured bandwidth",
            description:
              "Below the tenant's `fallbackBandwidthKbps` the visit moves to fallback (once, however many reports " +
              "arrive). `fallback` says whether the visit is in fallback after this report. A report from a waiting or " +
              "admitted participant, from an hour before the start to an hour after the end, is kept on the participant " +
              "(`precallKbps`, `precallBelowThreshold`, `precallCheckedAt`, `precallVideoAnyway`) for the clinician's waiting room. " +
              "`videoAnyway: true` (the patient chose to try video anyway) records a low result without moving the visit to fallback.",
            headers: JoinTokenHeaders,
            body: BandwidthBody,
            response: {
              200: json({ type: "object", properties: { fallback: { type: "boolean" } }, required: ["fallback"] }, "Whether the visit is in fallback now", {
                example: { fallback: false },
              }),
              ...problems(
                "VALIDATION_FAILED",
                "TOKEN_EXPIRED",
                "PARTICIPANT_REMOVED",
                "NOT_FOUND",
                "INVALID_STATUS_TRANSITION",
                "OPTIMISTIC_LOCK_CONFLICT",
              ),
            },
          },
          preHandler: async (req) => {
            app.authenticateParticipant(req, req.body);
          },
        },
        (req) => services.reportBandwidth.execute(req.participant, req.body.kbps, req.body.videoAnyway === true),
      );

      app.post(
        "/sessions/:id/participants/:pid/join-token",
        {
          schema: {
            tags: ["participants"],
            security: [{ bearerAuth: [] }, { joinToken: [] }],
            operationId: "getJoinToken",
            summary: "Issue or refresh a join token (GetJoinToken)",
            description:
              "Staff (clinician, scheduler, admin) issue a token with a bearer JWT. A participant may refresh its " +
              "own token by sending it, still unexpired, as `X-Join-Token` instead. Lifetime: the tenant's " +
              "`joinTokenTtlSeconds`.",
            params: ParticipantParams,
            headers: JoinTokenHeaders,
            response: {
              200: json(JoinTokenResponse, "A join token and the link that carries it"),
              ...problems(
                "TOKEN_EXPIRED",
                "FORBIDDEN",
                "MODULE_NOT_LICENSED",
                "PARTICIPANT_REMOVED",
                "NOT_FOUND",
                "INVALID_STATUS_TRANSITION",
              ),
            },
          },
          // Staff are authenticated before the rate limiter counts (preParsing), so an issuing
          // clinician is counted against the tenant, not the address's anonymous budget (issue 20).
          onRequest: async (req) => {
            if (!isRefresh(req.headers)) await app.authenticateStaff(req);
          },
          preHandler: async (req) => {
            if (isRefresh(req.headers)) app.authenticateParticipant(req);
          },
        },
        async (req) => {
          if (isRefresh(req.headers)) {
            return services.getJoinToken.refresh(req.participant, req.params.id, req.params.pid);
          }
          return services.getJoinToken.issue(req.actor, req.params.id, req.params.pid);
        },
      );
    },
  };
}

/** A participant refreshing its own token sends it and no bearer; anything else is staff issuing. */
const isRefresh = (headers: { authorization?: string; "x-join-token"?: unknown }): boolean =>
  headers.authorization === undefined && headers["x-join-token"] !== undefined;
