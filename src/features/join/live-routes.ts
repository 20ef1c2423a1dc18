import { randomBytes } from "node:crypto";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { HttpFeature } from "../../http/app.js";
import { toProblem } from "../../http/problem.js";
import { errorResponses } from "../../platform/schemas.js";
import { SessionIdParams } from "../../platform/session-view.js";
import type { BandwidthProbe } from "./bandwidth-probe.js";
import type { GetJoinStatus, JoinStatus } from "./get-join-status.js";
import type { GetParticipantList } from "./get-participant-list.js";
import { readJoinToken } from "./join-access.js";
import type { JoinTokenSignerPort, SessionChanges } from "./ports.js";
import { JoinTokenHeaders } from "./schemas.js";
import { watchSession } from "./session-watch.js";

export interface LiveServices {
  getJoinStatus: GetJoinStatus;
  getParticipantList: GetParticipantList;
  probe: BandwidthProbe;
  signer: JoinTokenSignerPort;
  changes: SessionChanges;
}

/**
 * A stream re-reads about this often without being woken (session-watch.ts: only a wake lost to a
 * crashed replica needs it), so 10,000 open streams cost ~170 reads/s at idle, not ~670.
 */
export const STREAM_RECHECK_MS = 60_000;
/** A comment this often keeps proxies (nginx's 60 s read timeout) from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

const streamDescription =
  "Server-Sent Events (`text/event-stream`), read with fetch so the credential travels in a header, " +
  "never in a URL. ";

/**
 * The push half of the waiting room: streams that answer as soon as a change to the session
 * commits (woken in process or by NOTIFY from another replica), and the bounded download the
 * pre-call check measures.
 */
export function liveRoutes(s: LiveServices): HttpFeature {
  return {
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();

      app.get(
        "/join/events",
        {
          schema: {
            tags: ["join"],
            security: [{ joinToken: [] }],
            operationId: "streamJoinEvents",
            summary: "Waiting-room push for the participant",
            description:
              streamDescription +
              "`event: status` carries the waiting-room poll's answer whenever it changes; the stream ends after the " +
              "answer that carries `videoJoinUrl`, or with `event: problem` (ended, cancelled, removed, expired). " +
              "Errors before the stream starts are ordinary problem answers.",
            headers: JoinTokenHeaders,
            response: { 200: Type.String({ description: "text/event-stream" }), ...errorResponses(401, 403, 404, 409) },
          },
        },
        async (req, reply) => {
          const token = req.headers["x-join-token"];
          const { claims } = readJoinToken(s.signer, token);
          // The first answer is awaited before the stream opens, so a refusal is a plain 4xx.
          const first = await s.getJoinStatus.execute(token);
          let last = "";
          const send = openStream(req, reply);
          const emit = (status: JoinStatus) => {
            const key = `${status.participantStatus}/${status.sessionStatus}/${status.videoJoinUrl ? 1 : 0}`;
            if (key !== last) send("status", status);
            last = key;
            return status.videoJoinUrl === undefined;
          };
          if (!emit(first)) return send.end();
          const stop = watchSession(
            s.changes,
            claims,
            () => s.getJoinStatus.execute(token),
            (status) => (emit(status) ? true : (send.end(), false)),
            send.fail,
            STREAM_RECHECK_MS,
          );
          send.onClose(stop);
        },
      );

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
              streamDescription + "`event: participants` carries `{items}` (as GetParticipantList) now and after every change.",
            params: SessionIdParams,
            response: { 200: Type.String({ description: "text/event-stream" }), ...errorResponses(401, 403, 404) },
          },
        },
        async (req, reply) => {
          const read = () => s.getParticipantList.execute(req.actor, req.params.id);
          const first = await read();
          const send = openStream(req, reply);
          send("participants", first);
          let last = JSON.stringify(first);
          const stop = watchSession(
            s.changes,
            { tenantId: req.actor.tenantId, sessionId: req.params.id },
            read,
            (list) => {
              const json = JSON.stringify(list);
              if (json !== last) send("participants", list);
              last = json;
              return true;
            },
            send.fail,
            STREAM_RECHECK_MS,
          );
          send.onClose(stop);
        },
      );

      app.get(
        "/join/probe",
        {
          schema: {
            tags: ["join"],
            security: [{ joinToken: [] }],
            operationId: "probeBandwidth",
            summary: "Bandwidth probe for the pre-call check",
            description: "`bytes` (1 KiB … 256 KiB) of incompressible filler; at most 6 per participant per minute (429 beyond).",
            headers: JoinTokenHeaders,
            querystring: Type.Object({ bytes: Type.Integer({ minimum: 1024, maximum: 262_144 }) }),
            response: errorResponses(400, 401, 429),
          },
        },
        async (req, reply) => {
          const bytes = s.probe.authorize(req.headers["x-join-token"], req.query.bytes);
          // Random bytes: a compressing proxy cannot make the link look faster than it is.
          return reply.header("cache-control", "no-store").type("application/octet-stream").send(randomBytes(bytes));
        },
      );
    },
  };
}

type Send = ((event: string, data: unknown) => void) & { end(): void; onClose(fn: () => void): void; fail(err: unknown): void };

/** Takes the response over from Fastify and writes SSE frames to it. */
function openStream(req: FastifyRequest, reply: FastifyReply): Send {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    // Tells nginx-style proxies not to buffer the stream.
    "x-accel-buffering": "no",
    connection: "keep-alive",
  });
  raw.write(": open\n\n");
  const ping = setInterval(() => raw.write(": ping\n\n"), KEEPALIVE_MS);
  const closers: Array<() => void> = [() => clearInterval(ping)];
  const close = () => closers.splice(0).forEach((fn) => fn());
  req.raw.on("close", close);
  const send = ((event: string, data: unknown) => {
    if (!raw.writableEnded) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }) as Send;
  send.end = () => {
    close();
    if (!raw.writableEnded) raw.end();
  };
  send.onClose = (fn) => (raw.writableEnded ? fn() : closers.push(fn));
  // The status line went out with the stream: a later failure is a last problem event, then the end.
  send.fail = (err) => {
    send("problem", toProblem(err, req.id));
    send.end();
  };
  return send;
}
