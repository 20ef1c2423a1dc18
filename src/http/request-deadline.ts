import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DomainError } from "../domain/errors.js";

export interface RequestDeadlines {
  /** HTTP_REQUEST_TIMEOUT_MS: the whole request, body included. */
  requestTimeoutMs: number;
  /** HTTP_UPLOAD_TIMEOUT_MS: the same for routes whose body may be large. */
  uploadTimeoutMs: number;
  /** True for routes that take large bodies (audio, attachments): slow links get the upload bound. */
  isUpload(req: FastifyRequest): boolean;
}

const deadlines = new WeakMap<FastifyRequest, NodeJS.Timeout>();

/**
 * Every request is answered within its bound, counted from the moment it was routed: reading the
 * body, the hooks and the handler all count. Fastify's own `handlerTimeout` cannot do this: it
 * stops its timer when the request stream closes, which Node does as soon as a body has been read,
 * so a POST on a slow database answered only when the database gave up (issue 20, item 8).
 * Past the bound the caller gets 503 REQUEST_TIMEOUT (Retry-After); the work may still finish,
 * bounded by the database timeouts, and its late answer is dropped.
 */
export function installRequestDeadline(app: FastifyInstance, options: RequestDeadlines): void {
  app.addHook("onRequest", (req, reply, done) => {
    const ms = options.isUpload(req) ? options.uploadTimeoutMs : options.requestTimeoutMs;
    const timer = setTimeout(() => expire(req, reply, ms), ms);
    deadlines.set(req, timer);
    // A client that went away needs no answer: the timer must not hold the request.
    reply.raw.once("close", () => clear(req));
    done();
  });
  app.addHook("onResponse", (req, _reply, done) => {
    clear(req);
    done();
  });
}

function clear(req: FastifyRequest): void {
  const timer = deadlines.get(req);
  if (timer) clearTimeout(timer);
  deadlines.delete(req);
}

function expire(req: FastifyRequest, reply: FastifyReply, ms: number): void {
  deadlines.delete(req);
  if (reply.sent) return;
  if (reply.raw.headersSent) {
    // A stream already under way cannot turn into a problem document: end it.
    reply.raw.destroy();
    return;
  }
  // The rest of the body (if any) is not worth reading: the connection closes after this answer.
  if (!req.raw.complete) reply.header("connection", "close");
  // Once this answer is out (and its log line written), the late work's own answer or failure has
  // nowhere to go. Fastify would log it with the URL (query strings hold patient ids) or the
  // error's message (it can quote SQL parameters): it is dropped without a word instead.
  reply.raw.once("finish", () => quiet(reply));
  void reply.send(new DomainError("REQUEST_TIMEOUT", `the request was not completed within ${ms} ms; retry later`));
}

/** Late sends become no-ops and Fastify's notes about them go nowhere (the request's own log line uses request.log). */
function quiet(reply: FastifyReply): void {
  const late = reply as unknown as { send: () => FastifyReply; log: FastifyReply["log"] };
  late.send = () => reply;
  late.log = reply.log.child({}, { level: "silent" });
}
