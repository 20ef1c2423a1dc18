import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { HttpFeature } from "../../http/app.js";
import { openEventStream as openStream } from "../../http/event-stream.js";
import { eventStream, problems } from "../../http/openapi/responses.js";
import { EXAMPLE_CLINICIAN, EXAMPLE_PATIENT } from "../../platform/examples.js";
import { EVENT_STREAM_DESCRIPTION, Problem } from "../../platform/schemas.js";
import { Participant, SessionIdParams } from "../../platform/session-view.js";
import type { GetParticipantList } from "./get-participant-list.js";
import type { ParticipantFeed } from "./participant-feed.js";

export interface ParticipantStreamServices {
  getParticipantList: GetParticipantList;
  /** One read per change for every staff stream of a session. */
  participantFeed: ParticipantFeed;
}

/** The console's waiting room: a session's participant list, pushed after every committed change. */
export function participantStreamRoutes(s: ParticipantStreamServices): HttpFeature {
  return {
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();

      app.get(
        "/sessions/:id/events",
        {
          onRequest: app.authenticateStaff,
          schema: {
            tags: ["participants"],
            security: [{ bearerAuth: [] }],
            operationId: "streamSessionParticipants",
            summary: "Live participant list of a session (the console's waiting room)",
            description:
              EVENT_STREAM_DESCRIPTION + "`event: participants` carries `{items}` (as GetParticipantList) now and after every change.",
            params: SessionIdParams,
            response: {
              200: eventStream("The session's participants, now and after every change.", [
                {
                  event: "participants",
                  description: "The participant list (as GetParticipantList answers it)",
                  data: Type.Object({ items: Type.Array(Type.Ref(Participant), { maxItems: 50 }) }),
                  example: { items: [EXAMPLE_PATIENT, EXAMPLE_CLINICIAN] },
                },
                {
                  event: "problem",
                  description: "The last event when the stream cannot go on (e.g. the database failed)",
                  data: Type.Ref(Problem),
                  example: { type: "/problems/database-unavailable", title: "Database unavailable", status: 503, detail: "the database is unavailable; retry later", code: "DATABASE_UNAVAILABLE" },
                },
              ]),
              ...problems("FORBIDDEN", "NOT_FOUND", "RATE_LIMITED"),
            },
          },
        },
        async (req, reply) => {
          // Per user, before any read: a refused stream costs nothing (issue 20).
          const release = app.staffStreams.claim(req.actor);
          let first: Awaited<ReturnType<GetParticipantList["execute"]>>;
          try {
            // Authorized and audited once, for this user; later pushes come from the shared feed.
            first = await s.getParticipantList.execute(req.actor, req.params.id);
          } catch (err) {
            release();
            throw err;
          }
          const send = openStream(req, reply);
          send.onClose(release);
          send("participants", first);
          let last = JSON.stringify(first);
          const stop = s.participantFeed.subscribe(req.actor.tenantId, req.params.id, {
            next: (list, json) => {
              if (json !== last) send("participants", list);
              last = json;
            },
            fail: send.fail,
          });
          send.onClose(stop);
        },
      );
    },
  };
}
