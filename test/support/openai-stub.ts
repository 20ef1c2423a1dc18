import type { IncomingMessage, ServerResponse } from "node:http";
import { StubServer } from "./stub-server.js";

export interface StubCall {
  path: string;
  contentType: string;
  body: Buffer;
  /** The W3C trace context the caller sent, if any. */
  traceparent?: string;
}

/**
 * An OpenAI-compatible gateway speaking the real wire format: multipart transcriptions (`model`,
 * `file`) and chat completions whose `response_format` must ask for the four SOAP fields.
 * `down = true` answers 503 like an overloaded gateway.
 */
export class OpenAiStub {
  readonly calls: StubCall[] = [];
  down = false;
  transcript = "Patient reports three days of sore throat. No fever. Advised fluids.";
  draft = { subjective: "Sore throat for 3 days", objective: "Afebrile on video", assessment: "Viral pharyngitis", plan: "Fluids, rest, review in 1 week" };
  private readonly server = new StubServer((req, res) => this.handle(req, res));

  start(): Promise<string> {
    return this.server.start();
  }
  stop(): Promise<void> {
    return this.server.stop();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const call = { path: req.url ?? "", contentType: req.headers["content-type"] ?? "", body: Buffer.concat(chunks), traceparent: String(req.headers.traceparent ?? "") || undefined };
      this.calls.push(call);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (this.down) return send(503, { error: { message: "upstream overloaded", type: "server_error" } });
      if (req.method === "POST" && call.path === "/v1/audio/transcriptions") {
        const text = call.body.toString("latin1");
        const valid = call.contentType.startsWith("multipart/form-data") && /name="model"\r\n\r\n\S+/.test(text) && /name="file"; filename="[^"]+"/.test(text);
        return valid ? send(200, { text: this.transcript }) : send(400, { error: { message: "model and file are required" } });
      }
      if (req.method === "POST" && call.path === "/v1/chat/completions") {
        const body = JSON.parse(call.body.toString("utf8"));
        const schema = body.response_format?.json_schema?.schema;
        const wantsSoap = body.response_format?.type === "json_schema" && ["subjective", "objective", "assessment", "plan"].every((f) => schema?.required?.includes(f));
        if (!body.model || !Array.isArray(body.messages) || !wantsSoap) return send(400, { error: { message: "bad request" } });
        return send(200, {
          id: "chatcmpl-1",
          object: "chat.completion",
          model: body.model,
          choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: JSON.stringify(this.draft) } }],
        });
      }
      send(404, { error: { message: "not found" } });
    });
  }
}
