/**
 * What the HTTP layer (503 DATABASE_UNAVAILABLE) and the adapters' logs need to know about a
 * failure coming from the database driver, kept in one place because both sides need it and
 * neither may import the other. Driver messages can quote SQL and its parameters (patient ids),
 * so failures are described by class and code; a message is shown only when it is one of the
 * driver's fixed connection phrases.
 */

/**
 * SQLSTATE codes meaning "the database cannot serve now", not "your request is wrong":
 * 08 connection exceptions, 53 insufficient resources (too many connections, disk full),
 * 57P01-03 shutdown / starting up, 57014 cancelled (our statement_timeout), 25P03 idle in
 * transaction too long (our idle_in_transaction_session_timeout).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57P0[123]|57014|25P03)$/;

/** Socket errors on the way to the database. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND"]);

/** The pool's own refusal while its circuit breaker is open (adapters/postgres/circuit-breaker.ts). */
export const DATABASE_KNOWN_DOWN = "The database is known to be down; failing fast";

/** node-postgres and pg-pool raise these without a code (pg 8); none quotes a query. */
const CONNECTION_PHRASES = new Set([
  DATABASE_KNOWN_DOWN,
  "Connection terminated unexpectedly",
  "Connection terminated",
  "Connection terminated due to connection timeout",
  "timeout exceeded when trying to connect",
  "timeout expired",
  "Query read timeout",
  "Client has encountered a connection error and is not queryable",
  "Client was closed and is not queryable",
  "Cannot use a pool after calling end on the pool",
]);

function* chain(err: unknown): Generator<{ name: string; code?: string; message: string }> {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const c = e as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; constructor?: { name?: string } };
    const ctor = c.constructor?.name;
    const name = ctor && ctor !== "Object" && ctor !== "Error" ? ctor : typeof c.name === "string" ? c.name : "Error";
    yield { name, code: typeof c.code === "string" ? c.code : undefined, message: typeof c.message === "string" ? c.message : "" };
    e = c.cause;
  }
}

/** True when the failure (or what it wraps) is the database being out of reach or unable to serve. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const e of chain(err)) {
    // fetch() wraps its socket errors the same way; those are other dependencies (FHIR, Jitsi).
    if (e.name === "TypeError" && e.message === "fetch failed") return false;
    if (e.code && (UNAVAILABLE_SQLSTATE.test(e.code) || NETWORK_CODES.has(e.code))) return true;
    if (!e.code && CONNECTION_PHRASES.has(e.message)) return true;
  }
  return false;
}

/** "DrizzleQueryError > Error: Connection terminated unexpectedly", "DatabaseError 57P01": no query, no parameters. */
export function describeFailure(err: unknown): string {
  const parts: string[] = [];
  for (const e of chain(err)) {
    parts.push(`${e.name}${e.code ? ` ${e.code}` : ""}${!e.code && CONNECTION_PHRASES.has(e.message) ? `: ${e.message}` : ""}`);
  }
  return parts.join(" > ") || "unknown failure";
}
