import { randomBytes } from "node:crypto";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { Type } from "@sinclair/typebox";
import type { HttpFeature } from "../../http/app.js";
import { openEventStream as openStream, type EventStream } from "../../http/event-stream.js";
import { eventStream, json, problems } from "../../http/openapi/responses.js";
import { EVENT_STREAM_DESCRIPTION, Problem } from "../../platform/schemas.js";
import { DomainError } from "../../domain/errors.js";
import { MAX_PROBE_BYTES, MIN_PROBE_BYTES, PROBE_BYTES_PER_MINUTE, PROBES_PER_MINUTE, type BandwidthProbe } from "./bandwidth-probe.js";
import type { GetJoinStatus, JoinStatus } from "./get-join-status.js";
import type { SessionChanges } from "../../platform/ports.js";
import { STREAM_RECHECK_MS, watchSession } from "../../platform/session-watch.js";
import { JoinStatusResponse, JoinTokenHeaders } from "./schemas.js";

export interface LiveServices {
  getJoinStatus: GetJoinStatus;
  probe: BandwidthProbe;
  changes: SessionChanges;
}

/**
 * The push half of the waiting room: the patient's stream, which answers as soon as a change to
 * the session commits (woken in process or by NOTIFY from another replica), and the bounded
 * downloads and uploads the pre-call check measures. Two plugins: the console's participant
 * stream (features/participants) is registered between them, where the OpenAPI document has it.
 */
export function liveRoutes(s: LiveServices): { events: HttpFeature; probe: HttpFeature } {
  const events: HttpFeature = {
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      const participant = async (req: FastifyRequest) => {
        app.authenticateParticipant(req);
      };

      app.get(
        "/join/events",
        {
          schema: {
            tags: ["join"],
            security: [{ joinToken: [] }],
            operationId: "streamJoinEvents",
            summary: "Waiting-room push for the participant",
            description:
              EVENT_STREAM_DESCRIPTION +
              "`event: status` carries the waiting-room poll's answer whenever it changes, through the video too; the " +
              "stream ends with `event: problem` (ended, cancelled, removed, expired). " +
              "Errors before the stream starts are ordinary problem answers.",
            headers: JoinTokenHeaders,
            response: {
              200: eventStream("The participant's status, now and at every change.", [
                {
                  event: "status",
                  description: "The waiting-room poll's answer (GET /v1/join/status), sent when it changes",
                  data: Type.Ref(JoinStatusResponse),
                  example: JoinStatusResponse.examples[0],
                },
                {
                  event: "problem",
                  description: "The last event when the visit ended or was cancelled, the participant was removed, or the stream failed",
                  data: Type.Ref(Problem),
                  example: { type: "/problems/invalid-status-transition", title: "Invalid status transition", status: 409, detail: "the session is ended", code: "INVALID_STATUS_TRANSITION", currentStatus: "ended" },
                },
              ]),
              ...problems("TOKEN_EXPIRED", "MODULE_NOT_LICENSED", "PARTICIPANT_REMOVED", "NOT_FOUND", "INVALID_STATUS_TRANSITION", "RATE_LIMITED", "VIDEO_PROVIDER_UNAVAILABLE"),
            },
          },
          preHandler: participant,
        },
        async (req, reply) => {
          // Verified once, at the edge; every read of this stream uses that credential.
          const credential = req.participant;
          const { actor, claims } = credential;
          // A participant holds at most STREAMS_PER_USER streams too (each one re-reads per change).
          const release = app.staffStreams.claim(actor);
          let send: EventStream | undefined;
          let last = "";
          // Only a change is sent; the stream stays open in the video too, so the end, a cancel or a
          // removal reaches the patient's page while the call runs (issue 19, item 2).
          const emit = (status: JoinStatus) => {
            const key = `${status.participantStatus}/${status.sessionStatus}/${status.videoJoinUrl ? 1 : 0}`;
            if (key !== last) send?.("status", status);
            last = key;
            return true;
          };
          // Watching before the first read, which is then the only one: a change committed after it
          // started wakes the watcher (one more read at start()); none, and nothing is read again.
          const watch = watchSession(s.changes, claims, () => s.getJoinStatus.execute(credential, { streaming: true }), emit, (err) => send?.fail(err), STREAM_RECHECK_MS, { deferred: true });
          let first: JoinStatus;
          try {
            // The first answer is awaited before the stream opens, so a refusal is a plain 4xx.
            first = await s.getJoinStatus.execute(credential);
          } catch (err) {
            watch();
            release();
            throw err;
          }
          send = openStream(req, reply);
          send.onClose(release);
          send.onClose(watch);
          emit(first);
          watch.start();
        },
      );
    },
  };
  const probe: HttpFeature = {
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      const participant = async (req: FastifyRequest) => {
        app.authenticateParticipant(req);
      };

      app.get(
        "/join/probe",
        {
          schema: {
            tags: ["join"],
            security: [{ joinToken: [] }],
            operationId: "probeBandwidth",
            summary: "Download probe for the pre-call check",
            description:
              "`bytes` (1 KiB … 1 MiB) of incompressible filler. Per participant and minute at most " +
              `${PROBES_PER_MINUTE} downloads and ${PROBE_BYTES_PER_MINUTE / 1024 / 1024} MiB (429 beyond).`,
            headers: JoinTokenHeaders,
            querystring: Type.Object({ bytes: Type.Integer({ minimum: MIN_PROBE_BYTES, maximum: MAX_PROBE_BYTES, description: "how many bytes to send", examples: [262144] }) }),
            response: {
              200: {
                description: "`bytes` random bytes",
                content: { "application/octet-stream": { schema: Type.Unsafe<Buffer>({ type: "string", format: "binary", description: "incompressible filler" }) } },
              },
              ...problems("VALIDATION_FAILED", "TOKEN_EXPIRED", "RATE_LIMITED"),
            },
          },
          preHandler: participant,
        },
        async (req, reply) => {
          const bytes = s.probe.authorize(req.participant, req.query.bytes, "down");
          // Random bytes: a compressing proxy cannot make the link look faster than it is.
          return reply.header("cache-control", "no-store").type("application/octet-stream").send(randomBytes(bytes));
        },
      );

      // The upload half: the body is filler the service reads and drops. The token and the budget
      // are checked on the declared length before a byte of the body is read. Filler only: a JSON
      // (or any other) body is 415, not parsed (this plugin's other routes take no body).
      app.removeAllContentTypeParsers();
      app.addContentTypeParser("application/octet-stream", { parseAs: "buffer", bodyLimit: MAX_PROBE_BYTES }, (_req, body, done) => done(null, body));
      app.post(
        "/join/probe",
        {
          bodyLimit: MAX_PROBE_BYTES,
          schema: {
            tags: ["join"],
            security: [{ joinToken: [] }],
            operationId: "probeUploadBandwidth",
            summary: "Upload probe for the pre-call check",
            description:
              "An `application/octet-stream` body of 1 KiB … 1 MiB, with `Content-Length`; answers how many bytes arrived. " +
              `Per participant and minute at most ${PROBES_PER_MINUTE} uploads and ${PROBE_BYTES_PER_MINUTE / 1024 / 1024} MiB (429 beyond).`,
            headers: JoinTokenHeaders,
            consumes: ["application/octet-stream"],
            body: Type.Unsafe<Buffer>({ type: "string", format: "binary", description: "filler bytes, 1 KiB … 1 MiB" }),
            response: {
              200: json(Type.Object({ bytes: Type.Integer({ description: "the bytes that arrived" }) }), "How many bytes arrived", { example: { bytes: 262144 } }),
              ...problems("VALIDATION_FAILED", "TOKEN_EXPIRED", "RATE_LIMITED"),
            },
          },
          // The binary body above documents the upload: the preParsing check below bounds it, and
          // verifies the token header (before any byte of the body is read, so before validation).
          validatorCompiler: () => () => true,
          preParsing: async (req) => {
            const length = Number(req.headers["content-length"]);
            if (!Number.isInteger(length) || length < MIN_PROBE_BYTES || length > MAX_PROBE_BYTES) {
              throw new DomainError("VALIDATION_FAILED", `send ${MIN_PROBE_BYTES} to ${MAX_PROBE_BYTES} bytes with a Content-Length`);
            }
            s.probe.authorize(app.authenticateParticipant(req), length, "up");
          },
        },
        async (req, reply) => reply.header("cache-control", "no-store").send({ bytes: (req.body as Buffer).length }),
      );
    },
  };
  return { events, probe };
}
