import type { FastifyReply, FastifyRequest } from "fastify";
import { toProblem } from "./problem.js";

/** A comment this often keeps proxies (nginx's 60 s read timeout) from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

export type EventStream = ((event: string, data: unknown) => void) & {
  end(): void;
  onClose(fn: () => void): void;
  fail(err: unknown): void;
};

/**
 * Takes the response over from Fastify and writes Server-Sent Events frames to it: every stream of
 * the service (the console's list, a visit's staff and patient streams) is opened here.
 */
export function openEventStream(req: FastifyRequest, reply: FastifyReply): EventStream {
  const raw = reply.raw;
  // The first read is awaited before this: the client may have left meanwhile, or the request
  // deadline may have answered 503 already. Then no 'close' will come any more, so the stream is
  // born closed: whatever registers onClose (a cap's slot, a watcher) is released at once.
  if (req.raw.destroyed || raw.destroyed || raw.headersSent || raw.writableEnded) {
    reply.hijack();
    return closedStream();
  }
  reply.hijack();
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
  let closed = false;
  const close = () => {
    closed = true;
    closers.splice(0).forEach((fn) => fn());
  };
  req.raw.on("close", close);
  raw.on("close", close);
  const send = ((event: string, data: unknown) => {
    if (!raw.writableEnded) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }) as EventStream;
  send.end = () => {
    close();
    if (!raw.writableEnded) raw.end();
  };
  send.onClose = (fn) => (closed || raw.writableEnded ? fn() : closers.push(fn));
  // The status line went out with the stream: a later failure is a last problem event, then the end.
  send.fail = (err) => {
    send("problem", toProblem(err, req.id));
    send.end();
  };
  return send;
}

/** A stream whose client is already gone: sends nothing, and runs each onClose at once. */
function closedStream(): EventStream {
  const send = (() => undefined) as unknown as EventStream;
  send.end = () => undefined;
  send.onClose = (fn) => fn();
  send.fail = () => undefined;
  return send;
}
