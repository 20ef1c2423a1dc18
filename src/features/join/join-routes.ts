import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { ValidateJoinToken } from "./validate-join-token.js";
import type { GetJoinStatus } from "./get-join-status.js";
import type { ReportBandwidth } from "./report-bandwidth.js";
import type { GetJoinToken } from "./get-join-token.js";
import { BandwidthBody, JoinStatusResponse, JoinTokenHeaders, JoinTokenResponse, ValidateJoinBody, ValidationResponse } from "./schemas.js";
import { errorResponses } from "../../platform/schemas.js";
import { ParticipantParams } from "../../platform/session-view.js";
import type { HttpFeature } from "../../http/app.js";

const tags = ["join"];
const joinSecurity = [{ joinToken: [] }];

/**
 * Routes of patients and guests, who hold a join token instead of a staff JWT: sent
 * as the body field `token` or the `X-Join-Token` header. The use cases verify it.
 */
export interface JoinServices {
  validateJoinToken: ValidateJoinToken;
  getJoinStatus: GetJoinStatus;
  reportBandwidth: ReportBandwidth;
  getJoinToken: GetJoinToken;
}

export function joinRoutes(services: JoinServices): HttpFeature {
  return {
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
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
            response: { 200: ValidationResponse, ...errorResponses(400, 401, 403, 404, 409, 503) },
          },
          // With the token in the header there is nothing left to send in the body.
          preValidation: async (req) => {
            if (req.body === undefined) req.body = {};
          },
        },
        (req) => services.validateJoinToken.execute(req.body?.token ?? req.headers["x-join-token"]),
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
              "page reload). An ended or cancelled session answers 409 with `currentStatus`.",
            headers: JoinTokenHeaders,
            response: { 200: JoinStatusResponse, ...errorResponses(401, 403, 404, 409) },
          },
        },
        (req) => services.getJoinStatus.execute(req.headers["x-join-token"]),
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
              "(`precallKbps`, `precallBelowThreshold`, `precallCheckedAt`) for the clinician's waiting room.",
            headers: JoinTokenHeaders,
            body: BandwidthBody,
            response: { 200: { type: "object", properties: { fallback: { type: "boolean" } }, required: ["fallback"] }, ...errorResponses(400, 401, 403, 404, 409) },
          },
        },
        (req) => services.reportBandwidth.execute(req.body.token ?? req.headers["x-join-token"], req.body.kbps),
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
            response: { 200: JoinTokenResponse, ...errorResponses(400, 401, 403, 404, 409) },
          },
        },
        async (req) => {
          if (req.headers.authorization === undefined && req.headers["x-join-token"] !== undefined) {
            return services.getJoinToken.refresh(req.headers["x-join-token"], req.params.id, req.params.pid);
          }
          await app.authenticateStaff(req);
          return services.getJoinToken.issue(req.actor, req.params.id, req.params.pid);
        },
      );
    },
  };
}
