import { codeTable } from "./complete-document.js";

/** The document's tags: every operation names one of these. */
export const API_TAGS = [
  { name: "sessions", description: "Video visits: create, list, read, end, cancel, fall back" },
  { name: "participants", description: "Who takes part, admission from the waiting room, join tokens, requests for a new link" },
  { name: "join", description: "Patients and guests with a join token: validate, waiting-room poll and push, pre-call checks, written visits" },
  { name: "patients", description: "Patient names and search, read from the FHIR server (never stored here)" },
  { name: "tenant config", description: "Per-tenant settings and video backends (secrets redacted)" },
  { name: "ai-summary", description: "AI-drafted visit summaries, accepted or rejected by the clinician" },
  { name: "async-visits", description: "Store-and-forward visits with attachments, and the clinic's written replies" },
  { name: "webhooks", description: "Standard Webhooks to the tenant's endpoints: the delivery log, re-enabling, retries" },
  { name: "operations", description: "Probes, metrics and the service's published documents; no authentication" },
];

/** `info.description`: what holds for every operation, so that it need not be repeated in each. */
export const API_DESCRIPTION = `Video visits with a waiting room, fallback to written messaging, FHIR Encounters and billing events.

**Authentication.** Staff send a JWT as \`Authorization: Bearer …\` (claims \`tenant_id\`, \`roles\`). Patients and guests send
their join token as \`X-Join-Token\` (or the body field \`token\` where a route says so). Every row belongs to a tenant: another
tenant's id answers 404.

**Errors** are \`application/problem+json\` (RFC 9457): \`{type, title, status, detail, code}\` plus the extension a code names.
Program against \`code\`: each response lists the codes it can carry (an enum), with an example of each. \`type\` is
\`/problems/{code in kebab case}\`, a page this service serves (an absolute-path reference, the same in every deployment); \`detail\`
is for people.

| code | status | meaning |
|---|---|---|
${codeTable()}

**Optimistic concurrency.** Sessions and the tenant config carry \`version\`; answers send it as \`ETag\` (\`"3"\`). Send it back as
\`If-Match\` on a change: a stale one answers 409 \`OPTIMISTIC_LOCK_CONFLICT\` with \`currentVersion\`.

**Retries.** \`POST /v1/sessions\`, \`POST /v1/async-visits\` and \`POST /v1/async-visits/{id}/replies\` take an \`Idempotency-Key\`:
a retry returns the first answer. 503 answers that pass by themselves and 429 from the request limiter carry \`Retry-After\`.

**Rate limits.** Per minute and replica: per tenant for staff, per participant for join tokens, per address otherwise. /v1
answers carry \`X-RateLimit-Limit\`, \`X-RateLimit-Remaining\` and \`X-RateLimit-Reset\` while a limit is on; past it, 429
\`RATE_LIMITED\`. The operations routes are not limited.

**Streams.** Three routes answer \`text/event-stream\` (Server-Sent Events): read them with fetch (the credential goes in a
header, never in a URL); each event's \`data\` is JSON described by the response's \`contentSchema\`.

**Events.** What the service publishes (CloudEvents on NATS) is described by the AsyncAPI document at \`/asyncapi.yaml\`;
each event's \`dataschema\` is a JSON Schema this service serves.

**Versioning.** \`info.version\` is semver and equals the version of the TypeScript client generated from this document
(\`clients/typescript\`): an addition is a minor version, anything a client could break on a major one.`;
