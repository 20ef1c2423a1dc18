import multipart from "@fastify/multipart";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { assertUnexpired } from "../../platform/join-credential.js";
import type { Clock } from "../../platform/ports.js";
import { Readable } from "node:stream";
import type { FastifyRequest } from "fastify";
import type { GetAsyncVisitAttachment, ListPendingAsyncVisits } from "./list-pending-async-visits.js";
import type { ReviewAsyncVisit } from "./review-async-visit.js";
import type { ReplyToAsyncVisit } from "./reply-to-async-visit.js";
import type { ListOwnAsyncVisits } from "./list-own-async-visits.js";
import type { AsyncVisitCommand, SubmitAsyncVisit } from "./submit-async-visit.js";
import type { StagedAttachment } from "./attachment-intake.js";
import type { UploadBudget } from "./upload-budget.js";
import { ASYNC_VISIT_LIMITS } from "../../domain/async-visit.js";
import { DomainError, validationFailed } from "../../domain/errors.js";
import { AsyncVisit, AsyncVisitForm, AsyncVisitListQuery, AsyncVisitReply, AsyncVisitReplyBody, OwnAsyncVisit } from "./schemas.js";
import { json, problems } from "../../http/openapi/responses.js";
import { EXAMPLE_IDS } from "../../platform/examples.js";
import { IdempotencyKeyHeaders } from "../../platform/schemas.js";
import type { HttpFeature } from "../../http/app.js";

export interface AsyncVisitServices {
  submitAsyncVisit: SubmitAsyncVisit;
  listPendingAsyncVisits: ListPendingAsyncVisits;
  reviewAsyncVisit: ReviewAsyncVisit;
  getAsyncVisitAttachment: GetAsyncVisitAttachment;
  replyToAsyncVisit: ReplyToAsyncVisit;
  listOwnAsyncVisits: ListOwnAsyncVisits;
}

export interface AsyncVisitRouteOptions {
  /** Judges the expiry of a join token the edge verified (the patient path). */
  clock: Clock;
}

/**
 * This route's own size limit, instead of the global 1 MiB JSON limit: 5 attachments of 5 MB plus
 * the text and multipart framing. Each part is limited as it streams in.
 */
export const ASYNC_VISIT_BODY_LIMIT = ASYNC_VISIT_LIMITS.maxAttachments * ASYNC_VISIT_LIMITS.maxAttachmentBytes + 1024 * 1024;
const FIELDS = new Set(["patientId", "providerId", "sessionId", "text"]);

const tags = ["async-visits"];
const security = [{ bearerAuth: [] }];
const VisitId = Type.String({ format: "uuid", description: "the async visit's id", examples: [EXAMPLE_IDS.asyncVisit] });
const VisitIdParams = Type.Object({ id: VisitId });
/** The download answer: the stored bytes, as the type recognised from them at upload. */
const binary = { schema: { type: "string", format: "binary" } };
const AttachmentFile = {
  description: "The file (JPEG, PNG or PDF), to be saved, not displayed inline",
  headers: { "Content-Disposition": { type: "string", description: 'attachment; filename="…"' } },
  content: { "image/jpeg": binary, "image/png": binary, "application/pdf": binary },
};

export function asyncVisitRoutes(services: AsyncVisitServices, options: AsyncVisitRouteOptions): HttpFeature {
  return {
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      await app.register(multipart, { throwFileSizeLimit: true });
      // The patient path: the join token (X-Join-Token) verified at the edge, and refused once
      // expired before a byte of the form is read (no use case has run yet: not audited).
      const authenticateParticipant = async (req: FastifyRequest) => {
        const { actor, claims } = app.authenticateParticipant(req);
        assertUnexpired(claims, options.clock.now());
        req.actor = actor;
      };
      // Without the header, the submitter must be staff with a bearer token.
      const authenticateSubmitter = async (req: FastifyRequest) => {
        if (typeof req.headers["x-join-token"] === "string") await authenticateParticipant(req);
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
            headers: IdempotencyKeyHeaders,
            body: AsyncVisitForm,
            response: {
              201: json(Type.Object({ id: Type.String({ format: "uuid" }), status: Type.String() }), "The visit as stored", {
                example: { id: EXAMPLE_IDS.asyncVisit, status: "submitted" },
              }),
              ...problems(
                "VALIDATION_FAILED",
                "TOKEN_EXPIRED",
                "FORBIDDEN",
                "PARTICIPANT_REMOVED",
                "MODULE_NOT_LICENSED",
                "NOT_FOUND",
                "INVALID_STATUS_TRANSITION",
                "PAYLOAD_TOO_LARGE",
                "IDEMPOTENCY_KEY_REUSED",
                "QUOTA_EXCEEDED",
              ),
            },
          },
        },
        async (req, reply) => {
          const key = idempotencyKey(req);
          const { command, budget } = await readForm(req, services.submitAsyncVisit);
          try {
            return reply.code(201).send(await services.submitAsyncVisit.execute(req.actor, command, key));
          } finally {
            budget.close();
          }
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
            description: "The tenant's submitted (not yet reviewed) written visits, with their replies; pass `nextCursor` back as `cursor`. Audited as a read.",
            querystring: AsyncVisitListQuery,
            response: {
              200: json(Type.Object({ items: Type.Array(AsyncVisit, { maxItems: 100 }), nextCursor: Type.Union([Type.String(), Type.Null()]) }), "One page of visits", {
                example: { items: AsyncVisit.examples, nextCursor: null },
              }),
              ...problems("VALIDATION_FAILED", "FORBIDDEN"),
            },
          },
        },
        (req) => services.listPendingAsyncVisits.execute(req.actor, req.query),
      );

      app.post(
        "/async-visits/:id/review",
        {
          onRequest: app.authenticateStaff,
          schema: {
            tags,
            security,
            operationId: "reviewAsyncVisit",
            summary: "Mark an async visit reviewed",
            description: "submitted → reviewed (clinicians). It leaves the pending list; replies stay possible.",
            params: VisitIdParams,
            response: { 200: json(AsyncVisit, "The reviewed visit"), ...problems("FORBIDDEN", "NOT_FOUND", "INVALID_STATUS_TRANSITION", "OPTIMISTIC_LOCK_CONFLICT") },
          },
        },
        (req) => services.reviewAsyncVisit.execute(req.actor, req.params.id),
      );

      app.post(
        "/async-visits/:id/replies",
        {
          onRequest: app.authenticateStaff,
          schema: {
            tags,
            security,
            operationId: "replyToAsyncVisit",
            summary: "Answer an async visit in writing (clinician)",
            description:
              "Stores the reply, audits it and publishes `virtualcare.async_visit.replied.v1` (ids only) for the notification service; " +
              "the patient reads it on their link (GET /v1/join/async-visits). Allowed before and after review. " +
              "An `Idempotency-Key` header (1–255 characters) makes a resent reply return the first answer.",
            params: VisitIdParams,
            headers: IdempotencyKeyHeaders,
            body: AsyncVisitReplyBody,
            response: {
              201: json(AsyncVisitReply, "The reply as stored"),
              ...problems("VALIDATION_FAILED", "FORBIDDEN", "NOT_FOUND", "OPTIMISTIC_LOCK_CONFLICT", "IDEMPOTENCY_KEY_REUSED", "QUOTA_EXCEEDED"),
            },
          },
        },
        async (req, reply) => {
          const key = idempotencyKey(req);
          return reply.code(201).send(await services.replyToAsyncVisit.execute(req.actor, req.params.id, req.body, key));
        },
      );

      app.get(
        "/join/async-visits",
        {
          onRequest: authenticateParticipant,
          schema: {
            tags: ["join"],
            security: [{ joinToken: [] }],
            operationId: "listOwnAsyncVisits",
            summary: "The written visits this link's holder sent, with the clinic's replies",
            description: "Only what this participant sent on this visit's link (both taken from the verified token), newest first. Audited as a read of patient data.",
            response: {
              200: json(Type.Object({ items: Type.Array(OwnAsyncVisit, { maxItems: 20 }) }), "What this participant sent, newest first", {
                example: { items: OwnAsyncVisit.examples },
              }),
              ...problems("TOKEN_EXPIRED", "FORBIDDEN", "PARTICIPANT_REMOVED", "NOT_FOUND"),
            },
          },
        },
        (req) => services.listOwnAsyncVisits.execute(req.actor),
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
            description: "The stored bytes, as the type recognised from them at upload, to be saved (never rendered inline). Audited as a read.",
            params: Type.Object({ id: VisitId, attachmentId: Type.String({ format: "uuid", description: "the attachment's id", examples: [EXAMPLE_IDS.attachment] }) }),
            response: { 200: AttachmentFile, ...problems("FORBIDDEN", "NOT_FOUND") },
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

function idempotencyKey(req: FastifyRequest): string | undefined {
  const key = req.headers["idempotency-key"];
  if (key !== undefined && (typeof key !== "string" || key.length < 1 || key.length > 255)) {
    throw validationFailed("Idempotency-Key must be 1–255 characters", [{ path: "/headers/idempotency-key", message: "is invalid" }]);
  }
  return key;
}

/**
 * Reads the form as it streams in: the submitter is checked before the first byte of it, each
 * attachment is checked and staged while it arrives (never held whole in memory), and a refusal
 * stops the reading and discards what was staged.
 */
async function readForm(req: FastifyRequest, submit: SubmitAsyncVisit): Promise<{ command: AsyncVisitCommand; budget: UploadBudget }> {
  if (!req.isMultipart()) throw validationFailed("send the visit as multipart/form-data");
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > ASYNC_VISIT_BODY_LIMIT) throw new DomainError("PAYLOAD_TOO_LARGE", "an async visit may be at most 26 MiB");
  // A chunked body declares nothing: the budget then holds it as it streams (issue 20).
  const budget = await submit.checkBeforeUpload(req.actor, Number.isFinite(declared) ? declared : 0);
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
        attachments.push(await submit.receiveAttachment(req.actor, attachments.length, arriving, budget));
      } else {
        if (!FIELDS.has(part.fieldname)) throw validationFailed(`unexpected field ${part.fieldname.slice(0, 40)}`);
        if (part.valueTruncated) throw validationFailed(`${part.fieldname} is too long`, [{ path: `/${part.fieldname}`, message: "is too long" }]);
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    await submit.discardAttachments(req.actor, attachments);
    budget.close();
    throw multipartProblem(err);
  }
  const command = { patientId: fields.patientId, providerId: fields.providerId, sessionId: fields.sessionId, text: fields.text ?? "", attachments };
  return { command, budget };
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
