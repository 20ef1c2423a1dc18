import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { AcceptAiSummary } from "./accept-ai-summary.js";
import type { GetAiSummary } from "./get-ai-summary.js";
import type { RejectAiSummary } from "./reject-ai-summary.js";
import type { RequestAiSummary } from "./request-ai-summary.js";
import { DomainError, validationFailed } from "../../domain/errors.js";
import { AcceptBody, AiSummary, RejectBody, TranscriptBody } from "./schemas.js";
import { json, problems } from "../../http/openapi/responses.js";
import { SessionIdParams } from "../../platform/session-view.js";
import type { HttpFeature } from "../../http/app.js";

export interface AiSummaryServices {
  requestAiSummary: RequestAiSummary;
  getAiSummary: GetAiSummary;
  acceptAiSummary: AcceptAiSummary;
  rejectAiSummary: RejectAiSummary;
}

/** Recordings may be larger than JSON bodies: OpenAI's transcription endpoint takes up to 25 MB. */
export const AUDIO_LIMIT_BYTES = 25 * 1024 * 1024;

const tags = ["ai-summary"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const checkSessionId = (data: unknown) =>
  UUID.test(String((data as { id?: unknown }).id)) ? true : { error: validationFailed("the session id must be a UUID", [{ path: "/id", message: "must be a uuid" }]) };
const security = [{ bearerAuth: [] }];

/** Registered through `HttpOptions.plugins` (prefix /v1). */
export function aiSummaryRoutes(services: AiSummaryServices): HttpFeature {
  return {
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      // onRequest: the token is checked before any body is read or validated.
      app.addHook("onRequest", app.authenticateStaff);
      // Raw audio bodies, in this plugin only (the rest of the API stays JSON with its 1 MiB limit).
      app.addContentTypeParser(/^audio\/[a-z0-9.+-]+$/i, { parseAs: "buffer", bodyLimit: AUDIO_LIMIT_BYTES }, (_req, body, done) => done(null, body));
      app.setErrorHandler((err, _req, reply) => {
        // Rethrown to the app's handler, with the limit of this route rather than the global one.
        if ((err as { code?: string }).code === "FST_ERR_CTP_BODY_TOO_LARGE") {
          throw new DomainError("PAYLOAD_TOO_LARGE", "the recording is larger than 25 MB");
        }
        throw err;
      });
      const draftStarted = json(AiSummary, "The summary, drafting or waiting for the visit's end");
      const requestRefusals = ["FORBIDDEN", "MODULE_NOT_LICENSED", "AI_SUMMARY_DISABLED", "NOT_FOUND", "INVALID_STATUS_TRANSITION", "OPTIMISTIC_LOCK_CONFLICT"] as const;
      const decisionRefusals = ["FORBIDDEN", "NOT_FOUND", "INVALID_STATUS_TRANSITION", "OPTIMISTIC_LOCK_CONFLICT"] as const;

      app.post(
        "/sessions/:id/ai-summary/transcript",
        {
          schema: {
            tags,
            security,
            operationId: "submitAiSummaryTranscript",
            summary: "Hand in the visit transcript as text (drafting starts once the visit has ended)",
            description:
              "Clinicians. Drafting (a SOAP note by the AI gateway) starts when the visit has ended; a new transcript replaces the input " +
              "until the draft is accepted or rejected. Poll GET …/ai-summary for the draft.",
            params: SessionIdParams,
            body: TranscriptBody,
            response: { 202: draftStarted, ...problems("VALIDATION_FAILED", ...requestRefusals) },
          },
        },
        async (req, reply) => reply.code(202).send(await services.requestAiSummary.execute(req.actor, req.params.id, { kind: "text", text: req.body.text })),
      );

      app.post(
        "/sessions/:id/ai-summary/audio",
        {
          bodyLimit: AUDIO_LIMIT_BYTES,
          // The binary body below documents the upload; the parser above already bounds it.
          validatorCompiler: ({ httpPart }) => (httpPart === "params" ? checkSessionId : () => true),
          schema: {
            tags,
            security,
            operationId: "submitAiSummaryAudio",
            summary: "Hand in the visit recording (audio/*, up to 25 MB) for transcription",
            description:
              "Clinicians. The body is the recording itself with its audio content type; it is transcribed by the AI gateway, then " +
              "drafted as with a text transcript.",
            params: SessionIdParams,
            consumes: ["audio/mpeg", "audio/wav", "audio/webm", "audio/mp4", "audio/ogg"],
            body: Type.Unsafe<Buffer>({ type: "string", format: "binary", description: "the recording, up to 25 MB" }),
            response: { 202: draftStarted, ...problems("VALIDATION_FAILED", "PAYLOAD_TOO_LARGE", ...requestRefusals) },
          },
        },
        async (req, reply) => {
          const data = req.body as unknown;
          if (!Buffer.isBuffer(data) || data.length === 0) {
            throw new DomainError("VALIDATION_FAILED", "send the recording as the body with an audio/* content type");
          }
          const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
          return reply.code(202).send(await services.requestAiSummary.execute(req.actor, req.params.id, { kind: "audio", data, contentType }));
        },
      );

      app.get(
        "/sessions/:id/ai-summary",
        {
          schema: {
            tags,
            security,
            operationId: "getAiSummary",
            summary: "Read the visit's AI summary draft and its status",
            description: "`status` says where drafting is; `draft` is there once it is `ready`. Audited as a read of patient data.",
            params: SessionIdParams,
            response: { 200: json(AiSummary, "The summary and its draft"), ...problems("FORBIDDEN", "NOT_FOUND") },
          },
        },
        (req) => services.getAiSummary.execute(req.actor, req.params.id),
      );

      app.post(
        "/sessions/:id/ai-summary/accept",
        {
          schema: {
            tags,
            security,
            operationId: "acceptAiSummary",
            summary: "Accept the draft, optionally edited (AcceptAiSummary; clinicians only)",
            description: "The accepted text becomes a FHIR DocumentReference in the patient's chart. Accepting twice answers 409.",
            params: SessionIdParams,
            body: Type.Optional(AcceptBody),
            response: { 200: json(AiSummary, "The accepted summary"), ...problems("VALIDATION_FAILED", ...decisionRefusals) },
          },
        },
        (req) => services.acceptAiSummary.execute(req.actor, req.params.id, req.body?.text),
      );

      app.post(
        "/sessions/:id/ai-summary/reject",
        {
          schema: {
            tags,
            security,
            operationId: "rejectAiSummary",
            summary: "Reject the draft: nothing reaches the chart",
            description: "Clinicians. The reason is kept with the summary (not in events or logs). Rejecting a decided summary answers 409.",
            params: SessionIdParams,
            body: Type.Optional(RejectBody),
            response: { 200: json(AiSummary, "The rejected summary"), ...problems("VALIDATION_FAILED", ...decisionRefusals) },
          },
        },
        (req) => services.rejectAiSummary.execute(req.actor, req.params.id, req.body?.reason),
      );
    },
  };
}
