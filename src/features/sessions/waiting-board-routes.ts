import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { HttpFeature } from "../../http/app.js";
import { openEventStream } from "../../http/event-stream.js";
import { eventStream, problems } from "../../http/openapi/responses.js";
import { WaitingBoardData } from "./schemas.js";
import type { WatchWaitingBoard } from "./watch-waiting-board.js";

/** The console's live list: one stream per open list, one read per change per tenant (waiting-board-hub.ts). */
export function waitingBoardRoutes(watchWaitingBoard: WatchWaitingBoard): HttpFeature {
  return {
    schemas: [WaitingBoardData],
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      app.get(
        "/sessions/events",
        {
          onRequest: app.authenticateStaff,
          schema: {
            tags: ["sessions"],
            security: [{ bearerAuth: [] }],
            operationId: "streamWaitingBoard",
            summary: "Who is waiting, live (the console's visit list)",
            description:
              "Server-Sent Events (`text/event-stream`), read with fetch so the credential travels in a header, never in a URL. " +
              "`event: waiting` carries the tenant's scheduled and in-progress visits with someone in the waiting room, longest wait " +
              "first (at most 200), now and whenever that changes. Errors before the stream starts are ordinary problem answers; " +
              "one user holds at most `STREAMS_PER_USER` streams (429 beyond).",
            response: {
              200: eventStream("The waiting board, now and after every change.", [
                {
                  event: "waiting",
                  description: "Who is waiting, in every visit of the tenant",
                  data: Type.Ref(WaitingBoardData),
                  example: WaitingBoardData.examples[0],
                },
              ]),
              ...problems("FORBIDDEN", "RATE_LIMITED"),
            },
          },
        },
        async (req, reply) => {
          // At most STREAMS_PER_USER open streams per user (429 before any read), as the visit streams.
          const release = app.staffStreams.claim(req.actor);
          // The role is checked (and the read audited) before the stream opens: a refusal is a plain 4xx.
          let subscribe: Awaited<ReturnType<WatchWaitingBoard["open"]>>;
          try {
            subscribe = await watchWaitingBoard.open(req.actor);
          } catch (err) {
            release();
            throw err;
          }
          const send = openEventStream(req, reply);
          send.onClose(release);
          send.onClose(subscribe((board) => send("waiting", board)));
        },
      );
    },
  };
}
