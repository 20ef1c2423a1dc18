import type { AiGatewayPort } from "../../features/ai-summary/ports.js";
import type { SoapDraft } from "../../domain/ai-summary.js";
import { tracedFetch } from "../opentelemetry/http-client-span.js";

export interface OpenAiGatewayOptions {
  baseUrl: string;
  apiKey?: string;
  transcriptionModel?: string;
  summaryModel?: string;
  timeoutMs?: number;
}

const SOAP_FIELDS = ["subjective", "objective", "assessment", "plan"] as const;

const SYSTEM_PROMPT =
  "You write a draft clinical visit note from the transcript of a telehealth visit, for a clinician " +
  "who will review it. Use only what the transcript says; write 'not discussed' where it says nothing. " +
  "Answer with a JSON object with the string fields subjective, objective, assessment and plan.";

/**
 * AiGatewayPort against an OpenAI-compatible gateway: `POST /v1/audio/transcriptions` (multipart,
 * `model` + `file`) and `POST /v1/chat/completions` with a JSON-schema `response_format`.
 */
export class OpenAiGateway implements AiGatewayPort {
  private readonly base: string;

  constructor(private readonly options: OpenAiGatewayOptions) {
    this.base = options.baseUrl.replace(/\/$/, "").replace(/\/v1$/, "");
  }

  async transcribe(audio: { data: Uint8Array; contentType: string }): Promise<string> {
    const form = new FormData();
    form.append("model", this.options.transcriptionModel ?? "whisper-1");
    form.append("response_format", "json");
    form.append("file", new Blob([new Uint8Array(audio.data)], { type: audio.contentType }), `visit.${extensionOf(audio.contentType)}`);
    const body = (await this.post("/v1/audio/transcriptions", form)) as { text?: unknown };
    if (typeof body.text !== "string") throw new Error("transcription answer has no text");
    return body.text;
  }

  async summarise(transcript: string): Promise<SoapDraft> {
    const properties = Object.fromEntries(SOAP_FIELDS.map((f) => [f, { type: "string" }]));
    const body = (await this.post(
      "/v1/chat/completions",
      JSON.stringify({
        model: this.options.summaryModel ?? "gpt-4o-mini",
        temperature: 0,
        messages: [
          { role: "system", content: SYSTEM_PROMPT },
          { role: "user", content: transcript },
        ],
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "soap_note",
            strict: true,
            schema: { type: "object", properties, required: [...SOAP_FIELDS], additionalProperties: false },
          },
        },
      }),
    )) as { choices?: Array<{ message?: { content?: unknown; refusal?: unknown } }> };
    const content = body.choices?.[0]?.message?.content;
    if (typeof content !== "string") throw new Error("chat completion has no content");
    const parsed = JSON.parse(content) as Record<string, unknown>;
    for (const f of SOAP_FIELDS) if (typeof parsed[f] !== "string") throw new Error(`summary lacks ${f}`);
    return { subjective: parsed.subjective as string, objective: parsed.objective as string, assessment: parsed.assessment as string, plan: parsed.plan as string };
  }

  private async post(path: string, body: FormData | string): Promise<unknown> {
    const res = await tracedFetch(`${this.base}${path}`, {
      method: "POST",
      headers: {
        ...(typeof body === "string" ? { "content-type": "application/json" } : {}),
        ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      },
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      // Status only: gateway error bodies can echo the transcript.
      throw new Error(`AI gateway ${path} answered HTTP ${res.status}`);
    }
    return res.json();
  }
}

function extensionOf(contentType: string): string {
  const sub = contentType.split(";")[0]!.split("/")[1] ?? "bin";
  return ({ mpeg: "mp3", "x-wav": "wav", wave: "wav", "x-m4a": "m4a", mp4: "m4a" } as Record<string, string>)[sub] ?? sub;
}
