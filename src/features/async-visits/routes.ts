import multipart from "@fastify/multipart";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { Actor } from "../../platform/ports.js";
import { Readable } from "node:stream";
import type { FastifyRequest } from "fastify";
import type { GetAsyncVisitAttachment, ListPendingAsyncVisits } from "./list-pending-async-visits.js";
import type { ReviewAsyncVisit } from "./review-async-visit.js";
import type { AsyncVisitCommand, SubmitAsyncVisit } from "./submit-async-visit.js";
import type { StagedAttachment } from "./attachment-intake.js";
import { ASYNC_VISIT_LIMITS } from "../../domain/async-visit.js";
import { DomainError, validationFailed } from "../../domain/errors.js";
import { AsyncVisit, AsyncVisitForm, AsyncVisitListQuery } from "./schemas.js";
import { errorResponses } from "../../platform/schemas.js";
import type { HttpFeature } from "../../http/app.js";

export interface AsyncVisitServices {
  submitAsyncVisit: SubmitAsyncVisit;
  listPendingAsyncVisits: ListPendingAsyncVisits;
  reviewAsyncVisit: ReviewAsyncVisit;
  getAsyncVisitAttachment: GetAsyncVisitAttachment;
}

export interface AsyncVisitRouteOptions {
  /**
   * The patient path: a join token (X-Join-Token) read into a participant actor. Without the
   * header, or without this option, the submitter must be staff with a bearer token.
   */
  participantFromJoinToken?: (token: string) => Actor;
}

/**
 * This route's own size limit, instead of the global 1 MiB JSON limit: 5 attachments of 5 MB plus
 * the text and multipart framing. Each part is limited as it streams in.
 */
export const ASYNC_VISIT_BODY_LIMIT = ASYNC_VISIT_LIMITS.maxAttachments * ASYNC_VISIT_LIMITS.maxAttachmentBytes + 1024 * 1024;
const FIELDS = new Set(["patientId", "providerId", "sessionId", "text"]);

const tags = ["async-visits"];
const security = [{ bearerAuth: [] }];
const VisitIdParams = Type.Object({ id: Type.String({ format: "uuid" }) });
/** The download answer: the stored bytes, as the type recognised from them at upload. */
const binary = { schema: { type: "string", format: "binary" } };
const AttachmentFile = {
  description: "The file (JPEG, PNG or PDF), to be saved, not displayed inline",
  headers: {
    "content-disposition": { type: "string", description: 'attachment; filename="…"' },
    "x-content-type-options": { type: "string", const: "nosniff" },
  },
  content: { "image/jpeg": binary, "image/png": binary, "application/pdf": binary },
};

export function asyncVisitRoutes(services: AsyncVisitServices, options: AsyncVisitRouteOptions = {}): HttpFeature {
  return {
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      await app.register(multipart, { throwFileSizeLimit: true });
      const fromJoinToken = options.participantFromJoinToken;
      const authenticateSubmitter = async (req: FastifyRequest) => {
        const token = req.headers["x-join-token"];
        if (fromJoinToken && typeof token === "string") req.actor = fromJoinToken(token);
        else await app.authenticateStaff(req);
      };

      app.post(
        "/async-visits",
        {
          onRequest: authenticateSubmitter,
          bodyLimit: ASYNC_VISIT_BODY_LIMIT,
          // The form below documents the request; the handler validates the stream part by part.
          validatorCompiler: () => () => true,
          schema: {
            tags,
            security: [{ bearerAuth: [] }, { joinToken: [] }],
            operationId: "submitAsyncVisit",
            summary: "Submit a store-and-forward visit (SubmitAsyncVisit)",
            description:
              "multipart/form-data: `text` (≤ 10,000 characters) and up to 5 `attachments` (JPEG, PNG or PDF, ≤ 5 MB each). " +
              "Types are recognised by their bytes; a declared type or file name that disagrees is refused. Body limit: 26 MiB. " +
              "An `Idempotency-Key` header (1–255 characters) makes a resent submission return the first answer and store nothing more " +
              "(the same key with other content: 422 IDEMPOTENCY_KEY_REUSED).",
            consumes: ["multipart/form-data"],
            body: AsyncVisitForm,
            response: { 201: Type.Object({ id: Type.String({ format: "uuid" }), status: Type.String() }), ...errorResponses(400, 401, 403, 404, 409, 413) },
          },
        },
        async (req, reply) => {
          const key = req.headers["idempotency-key"];
          if (key !== undefined && (typeof key !== "string" || key.length < 1 || key.length > 255)) {
            throw validationFailed("Idempotency-Key must be 1–255 characters", [{ path: "/headers/idempotency-key", message: "is invalid" }]);
          }
          const command = await readForm(req, services.submitAsyncVisit);
          return reply.code(201).send(await services.submitAsyncVisit.execute(req.actor, command, key));
        },
      );

      app.get(
        "/async-visits",
        {
          onRequest: app.authenticateStaff,
          schema: {
            tags,
            security,
            operationId: "listPendingAsyncVisits",
            summary: "Async visits waiting for review, oldest first",
            querystring: AsyncVisitListQuery,
            response: { 200: Type.Object({ items: Type.Array(AsyncVisit, { maxItems: 100 }), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401, 403) },
          },
        },
        (req) => services.listPendingAsyncVisits.execute(req.actor, req.query),
      );

      app.post(
        "/async-visits/:id/review",
        {
          onRequest: app.authenticateStaff,
          schema: { tags, security, operationId: "reviewAsyncVisit", summary: "Mark an async visit reviewed", params: VisitIdParams, response: { 200: AsyncVisit, ...errorResponses(400, 401, 403, 404, 409) } },
        },
        (req) => services.reviewAsyncVisit.execute(req.actor, req.params.id),
      );

      app.get(
        "/async-visits/:id/attachments/:attachmentId",
        {
          onRequest: app.authenticateStaff,
          schema: {
            tags,
            security,
            operationId: "getAsyncVisitAttachment",
            summary: "Download one attachment",
            params: Type.Object({ id: Type.String({ format: "uuid" }), attachmentId: Type.String({ format: "uuid" }) }),
            response: { 200: AttachmentFile, ...errorResponses(400, 401, 403, 404) },
          },
        },
        async (req, reply) => {
          const file = await services.getAsyncVisitAttachment.execute(req.actor, req.params.id, req.params.attachmentId);
          return reply
            .type(file.contentType)
            .header("content-length", file.sizeBytes)
            .header("content-disposition", `attachment; filename="${file.filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`)
            .header("x-content-type-options", "nosniff")
            .send(Readable.from(file.bytes));
        },
      );
    },
  };
}

/**
 * Reads the form as it streams in: the submitter is checked before the first byte of it, each
 * attachment is checked and staged while it arrives (never held whole in memory), and a refusal
 * stops the reading and discards what was staged.
 */
async function readForm(req: FastifyRequest, submit: SubmitAsyncVisit): Promise<AsyncVisitCommand> {
  if (!req.isMultipart()) throw validationFailed("send the visit as multipart/form-data");
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > ASYNC_VISIT_BODY_LIMIT) throw new DomainError("PAYLOAD_TOO_LARGE", "an async visit may be at most 26 MiB");
  await submit.checkBeforeUpload(req.actor, Number.isFinite(declared) ? declared : 0);
  const fields: Record<string, string> = {};
  const attachments: StagedAttachment[] = [];
  try {
    const parts = req.parts({
      limits: { files: ASYNC_VISIT_LIMITS.maxAttachments, fileSize: ASYNC_VISIT_LIMITS.maxAttachmentBytes, fields: 8, fieldSize: 64 * 1024, parts: 16 },
    });
    for await (const part of parts) {
      if (part.type === "file") {
        if (part.fieldname !== "attachments") throw validationFailed(`unexpected file field ${part.fieldname.slice(0, 40)}`);
        const arriving = { filename: safeName(part.filename), declaredType: part.mimetype || null, bytes: part.file };
        attachments.push(await submit.receiveAttachment(req.actor, attachments.length, arriving));
      } else {
        if (!FIELDS.has(part.fieldname)) throw validationFailed(`unexpected field ${part.fieldname.slice(0, 40)}`);
        if (part.valueTruncated) throw validationFailed(`${part.fieldname} is too long`, [{ path: `/${part.fieldname}`, message: "is too long" }]);
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    await submit.discardAttachments(req.actor, attachments);
    throw multipartProblem(err);
  }
  return { patientId: fields.patientId, providerId: fields.providerId, sessionId: fields.sessionId, text: fields.text ?? "", attachments };
}

function multipartProblem(err: unknown): unknown {
  switch ((err as { code?: string }).code) {
    case "FST_REQ_FILE_TOO_LARGE":
      return new DomainError("PAYLOAD_TOO_LARGE", "each attachment may be at most 5 MB");
    case "FST_FILES_LIMIT":
      return validationFailed("at most 5 attachments", [{ path: "/attachments", message: "has more than 5 files" }]);
    case "FST_PARTS_LIMIT":
    case "FST_FIELDS_LIMIT":
    case "FST_PROTO_VIOLATION":
    case "FST_MP_PREMATURE_CLOSE":
      return validationFailed("the form has unexpected or too many parts");
    default:
      return err;
  }
}

/** The sender's file name without any path, control characters or excess length. */
function safeName(name: string | undefined): string {
  const base = (name ?? "").split(/[\\/]/).pop() ?? "";
  return base.replace(/[\u0000-\u001f\u007f"]/g, "").slice(0, 200) || "attachment";
}
