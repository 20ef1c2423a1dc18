import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { HttpFeature } from "../../http/app.js";
import { json, noBody, problems } from "../../http/openapi/responses.js";
import { EXAMPLE_IDS } from "../../platform/examples.js";
import { DateTime } from "../../platform/schemas.js";
import { participantRoles } from "../../domain/participant.js";
import { OneOf } from "../../platform/schemas.js";
import type { ListLinkRequests, ResolveLinkRequest } from "./link-requests.js";
import type { RequestNewLink } from "./request-new-link.js";
import { JoinTokenHeaders } from "./schemas.js";

export interface LinkRequestServices {
  requestNewLink: RequestNewLink;
  listLinkRequests: ListLinkRequests;
  resolveLinkRequest: ResolveLinkRequest;
}

const LinkRequest = Type.Object({
  id: Type.String({ format: "uuid" }),
  sessionId: Type.String({ format: "uuid" }),
  participantId: Type.String({ format: "uuid" }),
  displayName: Type.String({ description: "the name the clinic gave the participant" }),
  role: OneOf(participantRoles),
  patientId: Type.String({ description: "the visit's patient (FHIR Patient id)" }),
  scheduledStart: DateTime,
  requestedAt: DateTime,
});
const EXAMPLE_LINK_REQUEST = {
  id: EXAMPLE_IDS.linkRequest,
  sessionId: EXAMPLE_IDS.session,
  participantId: EXAMPLE_IDS.patientParticipant,
  displayName: "Alex Morgan",
  role: "patient",
  patientId: "pat-1042",
  scheduledStart: "2030-01-07T09:00:00.000Z",
  requestedAt: "2030-01-07T10:12:00.000Z",
};

/** "Ask for a new link" (issue 19): the patient's request with an old link, and the clinic's notice. */
export function linkRequestRoutes(services: LinkRequestServices): HttpFeature {
  return {
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      app.post(
        "/join/link-request",
        {
          schema: {
            tags: ["join"],
            security: [{ joinToken: [] }],
            operationId: "requestNewLink",
            summary: "Ask the clinic for a new link",
            description:
              "Takes any correctly signed join token in `X-Join-Token`, expired or not. Answers 202 with no body in every case " +
              "(recorded, already asked, unknown or removed participant, visit over), so the holder of an old link learns nothing; " +
              "the clinic is told (`virtualcare.participant.link_requested.v1`, console notice) only when a new link could help, " +
              "once per open request. A token that does not verify is 401.",
            headers: JoinTokenHeaders,
            response: { 202: noBody("Received (whatever it led to): no body") },
          },
          preHandler: async (req) => {
            app.authenticateParticipant(req);
          },
        },
        async (req, reply) => {
          await services.requestNewLink.execute(req.participant);
          // No payload at all (not `null`): nothing to read, whatever the state.
          return reply.code(202).header("cache-control", "no-store").send(undefined as unknown as null);
        },
      );

      app.get(
        "/link-requests",
        {
          onRequest: async (req) => app.authenticateStaff(req),
          schema: {
            tags: ["participants"],
            security: [{ bearerAuth: [] }],
            operationId: "listLinkRequests",
            summary: "Open requests for a new link",
            description: "Oldest first, at most 100. Roles that may issue join tokens (clinician, scheduler, admin).",
            response: {
              200: json(Type.Object({ items: Type.Array(LinkRequest, { maxItems: 100 }) }), "The open requests", { example: { items: [EXAMPLE_LINK_REQUEST] } }),
              ...problems("FORBIDDEN"),
            },
          },
        },
        (req) => services.listLinkRequests.execute(req.actor),
      );

      app.post(
        "/link-requests/:id/resolve",
        {
          onRequest: async (req) => app.authenticateStaff(req),
          schema: {
            tags: ["participants"],
            security: [{ bearerAuth: [] }],
            operationId: "resolveLinkRequest",
            summary: "Close a request for a new link",
            description:
              "After sending a new link (POST …/join-token), or deciding not to. Closing a closed request is a no-op (204); " +
              "the participant's next ask opens a new one.",
            params: Type.Object({ id: Type.String({ format: "uuid", description: "the request's id", examples: [EXAMPLE_IDS.linkRequest] }) }),
            response: { 204: noBody("Closed (or it was already)"), ...problems("FORBIDDEN", "NOT_FOUND") },
          },
        },
        async (req, reply) => {
          await services.resolveLinkRequest.execute(req.actor, req.params.id);
          return reply.code(204).send(undefined as unknown as null);
        },
      );
    },
  };
}
