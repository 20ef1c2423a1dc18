import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { GetParticipantList } from "./get-participant-list.js";
import type { AddParticipant } from "./add-participant.js";
import type { AdmitParticipant } from "./admit-participant.js";
import type { RemoveParticipant } from "./remove-participant.js";
import { etag, parseIfMatch } from "../../http/preconditions.js";
import { AdmissionResponse } from "./schemas.js";
import { json, problems } from "../../http/openapi/responses.js";
import { EXAMPLE_CLINICIAN, EXAMPLE_PATIENT } from "../../platform/examples.js";
import { MutationHeaders, NewParticipantBody, Participant, ParticipantParams, SessionIdParams } from "../../platform/session-view.js";
import type { HttpFeature } from "../../http/app.js";

const tags = ["participants"];
const security = [{ bearerAuth: [] }];

export interface ParticipantServices {
  getParticipantList: GetParticipantList;
  addParticipant: AddParticipant;
  admitParticipant: AdmitParticipant;
  removeParticipant: RemoveParticipant;
}

export function participantRoutes(services: ParticipantServices): HttpFeature {
  return {
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      // onRequest: the token is checked before any body is read or validated.
      app.addHook("onRequest", app.authenticateStaff);

      app.get(
        "/sessions/:id/participants",
        {
          schema: {
            tags,
            security,
            operationId: "getParticipantList",
            summary: "List the participants of a session (GetParticipantList)",
            description: "Everyone invited to the visit, removed ones included, with their waiting-room state and last pre-call check. Audited as a read.",
            params: SessionIdParams,
            response: {
              200: json(Type.Object({ items: Type.Array(Type.Ref(Participant), { maxItems: 50 }) }), "The session's participants", {
                example: { items: [EXAMPLE_PATIENT, EXAMPLE_CLINICIAN] },
              }),
              ...problems("FORBIDDEN", "NOT_FOUND"),
            },
          },
        },
        (req) => services.getParticipantList.execute(req.actor, req.params.id),
      );

      app.post(
        "/sessions/:id/participants",
        {
          schema: {
            tags,
            security,
            operationId: "addParticipant",
            summary: "Invite a participant",
            description:
              "Within the tenant's `maxParticipants` (non-removed participants). A clinician is added by clinicians and admins only; " +
              "schedulers add patients, caregivers, interpreters and guests. `ETag` is the session's new version.",
            params: SessionIdParams,
            headers: MutationHeaders,
            body: NewParticipantBody,
            response: {
              201: json(Type.Ref(Participant), "The participant as invited", { headers: ["ETag"] }),
              ...problems(
                "VALIDATION_FAILED",
                "FORBIDDEN",
                "MODULE_NOT_LICENSED",
                "NOT_FOUND",
                "INVALID_STATUS_TRANSITION",
                "OPTIMISTIC_LOCK_CONFLICT",
                "MAX_PARTICIPANTS_EXCEEDED",
              ),
            },
          },
        },
        async (req, reply) => {
          const { participant, version } = await services.addParticipant.execute(
            req.actor,
            req.params.id,
            req.body,
            parseIfMatch(req.headers["if-match"]),
          );
          return reply.code(201).header("etag", etag(version)).send(participant);
        },
      );

      app.post(
        "/sessions/:id/participants/:pid/admit",
        {
          schema: {
            tags,
            security,
            operationId: "admitParticipant",
            summary: "Admit a participant from the waiting room (AdmitParticipant)",
            description:
              "waiting → admitted; the first admission starts the visit. Returns the participant's video join URL " +
              "(Jitsi JWT). Anyone not waiting: 409 PARTICIPANT_NOT_IN_WAITING_ROOM.",
            params: ParticipantParams,
            headers: MutationHeaders,
            response: {
              200: json(AdmissionResponse, "The admitted participant and their video join URL", { headers: ["ETag"] }),
              ...problems(
                "FORBIDDEN",
                "MODULE_NOT_LICENSED",
                "NOT_FOUND",
                "INVALID_STATUS_TRANSITION",
                "OPTIMISTIC_LOCK_CONFLICT",
                "PARTICIPANT_NOT_IN_WAITING_ROOM",
                "VIDEO_PROVIDER_UNAVAILABLE",
              ),
            },
          },
        },
        async (req, reply) => {
          const { version, ...admission } = await services.admitParticipant.execute(
            req.actor,
            req.params.id,
            req.params.pid,
            parseIfMatch(req.headers["if-match"]),
          );
          return reply.header("etag", etag(version)).send(admission);
        },
      );

      app.delete(
        "/sessions/:id/participants/:pid",
        {
          schema: {
            tags,
            security,
            operationId: "removeParticipant",
            summary: "Remove a participant (RemoveParticipant)",
            description: "From then on the participant's join tokens answer 403 PARTICIPANT_REMOVED.",
            params: ParticipantParams,
            headers: MutationHeaders,
            response: {
              200: json(Type.Ref(Participant), "The removed participant", { headers: ["ETag"] }),
              ...problems("FORBIDDEN", "NOT_FOUND", "INVALID_STATUS_TRANSITION", "OPTIMISTIC_LOCK_CONFLICT"),
            },
          },
        },
        async (req, reply) => {
          const { participant, version } = await services.removeParticipant.execute(
            req.actor,
            req.params.id,
            req.params.pid,
            parseIfMatch(req.headers["if-match"]),
          );
          return reply.header("etag", etag(version)).send(participant);
        },
      );
    },
  };
}
