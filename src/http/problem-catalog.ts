import type { ErrorCode, ErrorDetails } from "../domain/errors.js";

/**
 * What each problem `code` means to a caller: the title of its problem type (RFC 9457 §3.1.3: the
 * same for every occurrence), when it happens and what to do. One source for the problem answers,
 * the `/problems/{code}` pages their `type` points at, and the OpenAPI document's examples.
 */
export interface ProblemKind {
  title: string;
  /** When the service answers it, and what a client should do. */
  description: string;
  /** A typical `detail`, for the documentation's examples. */
  exampleDetail: string;
  /** The extension members this code carries, with example values. */
  exampleExtensions?: ErrorDetails;
}

export const PROBLEM_CATALOG: Record<ErrorCode, ProblemKind> = {
  VALIDATION_FAILED: {
    title: "Validation failed",
    description:
      "The request does not match the documented schema: a body field, a query or path parameter or a header. `errors` lists at most 20 of " +
      "the fields at fault (`path` is a JSON pointer into the body, or names the parameter). Also answered with status 414 when a path " +
      "parameter is longer than 100 characters, and 415 when a body is sent with another content type than the route takes. " +
      "Fix the request: sent again unchanged, it fails again.",
    exampleDetail: "request body is invalid",
    exampleExtensions: { errors: [{ path: "/scheduledStart", message: 'must match format "date-time"' }] },
  },
  UNAUTHENTICATED: {
    title: "Authentication required",
    description:
      "No staff bearer token, or one that does not verify (signature, expiry, issuer, audience, or missing `tenant_id`, `roles`, `sub`). " +
      "`WWW-Authenticate` names the scheme. Get a new token from the identity provider, then retry.",
    exampleDetail: "send a staff bearer token in the Authorization header",
  },
  TOKEN_INVALID: {
    title: "Join token invalid",
    description:
      "The join token (body field `token` or header `X-Join-Token`) is missing, malformed, forged or signed with an unknown key. " +
      "The holder needs a new link from the clinic.",
    exampleDetail: "the join token is not valid; ask the clinic for a new link",
  },
  TOKEN_EXPIRED: {
    title: "Join token expired",
    description:
      "The join token verified but its lifetime (the tenant's `joinTokenTtlSeconds`) is over. The holder may ask for a new link " +
      "(`POST /v1/join/link-request`, which takes expired tokens).",
    exampleDetail: "the join token has expired; ask the clinic for a new link",
  },
  FORBIDDEN: {
    title: "Forbidden",
    description: "The caller is authenticated but its roles do not allow this action (the role table is in the README), or the action is outside what its token grants.",
    exampleDetail: "this action needs one of the roles: clinician, admin",
  },
  PARTICIPANT_REMOVED: {
    title: "Participant removed",
    description: "The join token belongs to a participant who was removed from the visit: no new token or video link is issued for them.",
    exampleDetail: "participant has been removed from the session",
  },
  CONSENT_REQUIRED: {
    title: "Consent required",
    description:
      "The tenant requires consent (`consentRequired`) and the FHIR server has no active `Consent` for the patient. Record consent, then retry.",
    exampleDetail: "no active consent for virtual care is on file for this patient",
  },
  MODULE_NOT_LICENSED: {
    title: "Module not licensed",
    description: "The tenant is not licensed for virtual care (or has no configuration yet). `licensingUrl` says how to license it.",
    exampleDetail: "the virtual care module is not licensed for this tenant",
    exampleExtensions: { licensingUrl: "https://docs.virtual-care.example/licensing" },
  },
  AI_SUMMARY_DISABLED: {
    title: "AI summary disabled",
    description: "The tenant has `aiSummaryEnabled` off, or the service runs without an AI gateway (`AI_GATEWAY_URL`).",
    exampleDetail: "AI visit summaries are not enabled for this tenant (tenant config aiSummaryEnabled is false)",
  },
  NOT_FOUND: {
    title: "Not found",
    description:
      "No such resource in the caller's tenant (another tenant's id answers this too, so ids of other tenants cannot be probed), or no such route.",
    exampleDetail: "session not found",
  },
  INVALID_STATUS_TRANSITION: {
    title: "Invalid status transition",
    description:
      "The resource's state does not allow the action (e.g. ending a cancelled visit, joining an ended one). `currentStatus` is the state now; " +
      "re-read before deciding what to do.",
    exampleDetail: "cannot move a cancelled session to ended",
    exampleExtensions: { currentStatus: "cancelled" },
  },
  OPTIMISTIC_LOCK_CONFLICT: {
    title: "Optimistic lock conflict",
    description:
      "`If-Match` (or a body `version`) names a version that is no longer current, or another change won at the same moment. " +
      "`currentVersion` is the version now: read the resource again, reapply the change, send it with the new version.",
    exampleDetail: "the session was changed since you read it (version 4 now)",
    exampleExtensions: { currentVersion: 4 },
  },
  PARTICIPANT_NOT_IN_WAITING_ROOM: {
    title: "Participant not in the waiting room",
    description: "Only a waiting participant can be admitted. `currentStatus` is the participant's status now (invited, admitted or removed).",
    exampleDetail: "only a participant in the waiting room can be admitted",
    exampleExtensions: { currentStatus: "invited" },
  },
  APPOINTMENT_ALREADY_LINKED: {
    title: "Appointment already linked",
    description: "The `appointmentId` already has a virtual session in this tenant (one appointment, one session). `sessionId` names it.",
    exampleDetail: "this appointment already has a virtual session",
    exampleExtensions: { sessionId: "2f1c7a0e-5b8d-4c3e-9a61-0d2b7e4f9c15" },
  },
  PAYLOAD_TOO_LARGE: {
    title: "Payload too large",
    description: "The body is over the route's limit: 1 MiB for JSON, 25 MB for a recording, 5 MB per attachment and 26 MiB per written visit.",
    exampleDetail: "the request body is larger than 1 MiB",
  },
  MAX_PARTICIPANTS_EXCEEDED: {
    title: "Too many participants",
    description: "The visit's non-removed participants would exceed the tenant's `maxParticipants`.",
    exampleDetail: "a session may have at most 6 participants",
  },
  IDEMPOTENCY_KEY_REUSED: {
    title: "Idempotency key reused",
    description: "The `Idempotency-Key` was already used with a different request body. Use a new key for a new request.",
    exampleDetail: "this Idempotency-Key was already used for a different request",
  },
  RATE_LIMITED: {
    title: "Rate limited",
    description:
      "Too many requests from this client (per tenant for staff, per participant for join tokens, per address otherwise), too many open " +
      "event streams for one user, or too many network checks. Wait for `Retry-After` seconds when it is sent, or close a stream first.",
    exampleDetail: "too many requests; retry in 12 s",
  },
  QUOTA_EXCEEDED: {
    title: "Quota exceeded",
    description: "A written-visit quota is used up (submissions or attachment volume per participant, a clinic's daily volume, replies per visit).",
    exampleDetail: "a participant may send at most 10 async visits and 30 MB of attachments",
  },
  INTERNAL: {
    title: "Internal error",
    description: "Something failed inside the service. The detail quotes a reference (the request id) to give to support; it says nothing else.",
    exampleDetail: "an unexpected error occurred; quote reference 0b6f7c1e-3f1d-4a8e-9c55-2f0e6d7a8b91 to support",
  },
  VIDEO_PROVIDER_UNAVAILABLE: {
    title: "Video provider unavailable",
    description:
      "No video backend of the tenant answered its health check (each one's result is in `diagnostic`), or the visit's backend is no " +
      "longer configured. No session was created; retry later or fix the backend.",
    exampleDetail: "no video backend of this tenant is healthy",
    exampleExtensions: { diagnostic: { backends: [{ backend: "primary", healthy: false, detail: "unhealthy" }] } },
  },
  PROVIDER_QUOTA_EXCEEDED: {
    title: "Video rooms exhausted",
    description: "Every healthy video backend is at its `maxConcurrentRooms` for the visit's time; `diagnostic` lists them.",
    exampleDetail: "every healthy video backend is at its room limit",
    exampleExtensions: { diagnostic: { backends: [{ backend: "primary", roomsInUse: 20, maxConcurrentRooms: 20 }] } },
  },
  CONSENT_CHECK_UNAVAILABLE: {
    title: "Consent check unavailable",
    description: "The FHIR server could not say whether consent is on file; no session is created without that answer. Retry later.",
    exampleDetail: "the consent record could not be checked; try again later",
  },
  PATIENT_DIRECTORY_UNAVAILABLE: {
    title: "Patient directory unavailable",
    description: "The FHIR server could not answer a patient search or name look-up. Show the patient ids instead, and retry later.",
    exampleDetail: "the patient records cannot be read right now; use the patient id",
  },
  SERVICE_OVERLOADED: {
    title: "Service overloaded",
    description: "This replica sheds load while its event loop lags (`MAX_EVENT_LOOP_DELAY_MS`). Retry after `Retry-After` seconds.",
    exampleDetail: "the service is overloaded; retry shortly",
  },
  DATABASE_UNAVAILABLE: {
    title: "Database unavailable",
    description: "The database is out of reach or busy past its bounds. Retry after `Retry-After` seconds: the service recovers by itself.",
    exampleDetail: "the database is unavailable; retry later",
  },
  REQUEST_TIMEOUT: {
    title: "Request timed out",
    description:
      "The request was not answered within `HTTP_REQUEST_TIMEOUT_MS` (`HTTP_UPLOAD_TIMEOUT_MS` for uploads). The work may still complete: " +
      "re-read before repeating a change, or repeat it with the same `Idempotency-Key` where the route takes one.",
    exampleDetail: "the request was not completed within 10000 ms; retry later",
  },
  SERVICE_SHUTTING_DOWN: {
    title: "Shutting down",
    description: "This replica is draining before it stops (readiness only); the load balancer sends new requests elsewhere.",
    exampleDetail: "this replica is shutting down",
  },
};

/** Every code, in the catalog's order (the order the document lists them in). */
export const ERROR_CODES = Object.keys(PROBLEM_CATALOG) as ErrorCode[];

/** `VALIDATION_FAILED` → `validation-failed`. */
export const problemSlug = (code: ErrorCode): string => code.toLowerCase().replaceAll("_", "-");

/**
 * The problem `type`: an absolute-path reference to the page this service serves for the code
 * (`GET /problems/{slug}`). Relative to the answering host, so the same string in every
 * deployment (clients may compare it; RFC 9457 §3.1.1), and resolvable against that host.
 */
export const problemTypeUri = (code: ErrorCode): string => `/problems/${problemSlug(code)}`;

export const codeBySlug = new Map(ERROR_CODES.map((c) => [problemSlug(c), c]));
