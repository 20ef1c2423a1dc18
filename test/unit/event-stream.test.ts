import { EventEmitter } from "node:events";
import type { FastifyReply, FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { openEventStream } from "../../src/http/event-stream.js";

/** The parts of a request and reply the stream writer touches, as Node leaves them. */
function exchange(state: { clientGone?: boolean; answered?: boolean }) {
  const written: string[] = [];
  const res = Object.assign(new EventEmitter(), {
    destroyed: false,
    headersSent: !!state.answered,
    writableEnded: !!state.answered,
    writeHead: () => undefined,
    write: (chunk: string) => written.push(chunk),
    end() {
      this.writableEnded = true;
    },
  });
  const req = { id: "r1", raw: Object.assign(new EventEmitter(), { destroyed: !!state.clientGone }) };
  const reply = { raw: res, hijacked: false, hijack() { this.hijacked = true; } };
  return { req: req as unknown as FastifyRequest, reply: reply as unknown as FastifyReply & { hijacked: boolean }, res, written };
}

describe("openEventStream: what a stream holds is released when it ends, even when it never began", () => {
  it("when the client left while the first read was awaited, then onClose runs at once and nothing is written", () => {
    const { req, reply, written } = exchange({ clientGone: true });
    const send = openEventStream(req, reply);
    let released = 0;
    send.onClose(() => (released += 1));
    send("status", { x: 1 });
    expect(released).toBe(1);
    expect(written).toEqual([]);
    expect(reply.hijacked).toBe(true);
  });

  it("when the request deadline already answered, then the stream does not write a second status line and releases at once", () => {
    const { req, reply, written } = exchange({ answered: true });
    const send = openEventStream(req, reply);
    let released = 0;
    send.onClose(() => (released += 1));
    expect(released).toBe(1);
    expect(written).toEqual([]);
  });

  it("when an open stream's response closes, then every onClose runs once", () => {
    const { req, reply, res } = exchange({});
    const send = openEventStream(req, reply);
    let released = 0;
    send.onClose(() => (released += 1));
    send.onClose(() => (released += 1));
    res.emit("close");
    (req.raw as EventEmitter).emit("close");
    expect(released).toBe(2);
    send.onClose(() => (released += 1));
    expect(released).toBe(3);
    send.end();
  });
});
