import type { FastifyInstance, FastifyRequest } from "fastify";
import { DomainError } from "../domain/errors.js";
import { MAX_JOIN_TOKEN_LENGTH, type JoinCredential, type JoinTokenClaims } from "../platform/join-credential.js";

/** Checks a join token's format, key id and signature; throws TOKEN_INVALID otherwise. */
export type JoinTokenVerifier = (token: string) => JoinTokenClaims;

/** A join token (missing, over-long or not verifying: 401 TOKEN_INVALID) into the participant it speaks for. */
export type ParticipantAuthenticator = (token: string | undefined, where?: string) => JoinCredential;

/** Signature only: expiry is the use case's to judge, inside its audit (platform/join-credential.ts). */
export function participantAuthenticator(verify: JoinTokenVerifier): ParticipantAuthenticator {
  return (token, where = "in the X-Join-Token header") => {
    if (!token) throw new DomainError("TOKEN_INVALID", `send the join token ${where}`);
    if (token.length > MAX_JOIN_TOKEN_LENGTH) throw new DomainError("TOKEN_INVALID", "the join token is not valid");
    const claims = verify(token);
    return { claims, actor: { kind: "participant", tenantId: claims.tenantId, sessionId: claims.sessionId, participantId: claims.participantId } };
  };
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by `authenticateParticipant` on the routes of join-token holders. */
    participant: JoinCredential;
  }
  interface FastifyInstance {
    /**
     * The participant's edge step, beside `authenticateStaff`: the join token of the
     * `X-Join-Token` header (or `body.token` first, on a route that takes it in its body too)
     * verified into `req.participant`, or 401 TOKEN_INVALID (audited as an edge denial).
     */
    authenticateParticipant: (req: FastifyRequest, body?: { token?: string }) => JoinCredential;
  }
}

type Outcome = { credential: JoinCredential } | { error: unknown };

/**
 * Installs `authenticateParticipant`. A request's token is verified at most once: the rate
 * limiter's key (preParsing) and the route's step (whichever hook the route runs it in) share the
 * outcome. Returns the limiter's view: the participant behind the header's token, or null.
 */
export function installParticipantAuth(app: FastifyInstance, authenticate: ParticipantAuthenticator): (req: FastifyRequest) => JoinCredential | null {
  const verified = new WeakMap<FastifyRequest, { token: string | undefined; outcome: Outcome }>();
  const once = (req: FastifyRequest, token: string | undefined, where?: string): Outcome => {
    const known = verified.get(req);
    if (known && known.token === token) return known.outcome;
    let outcome: Outcome;
    try {
      outcome = { credential: authenticate(token, where) };
    } catch (error) {
      outcome = { error };
    }
    verified.set(req, { token, outcome });
    return outcome;
  };
  app.decorateRequest("participant", null as never);
  app.decorate("authenticateParticipant", (req: FastifyRequest, body?: { token?: string }) => {
    const outcome = body ? once(req, body.token ?? headerToken(req), "as the body field `token` or the X-Join-Token header") : once(req, headerToken(req));
    if ("error" in outcome) throw outcome.error;
    req.participant = outcome.credential;
    return outcome.credential;
  });
  return (req) => {
    const token = headerToken(req);
    if (!token) return null;
    const outcome = once(req, token);
    return "credential" in outcome ? outcome.credential : null;
  };
}

function headerToken(req: FastifyRequest): string | undefined {
  const value = req.headers["x-join-token"];
  return typeof value === "string" ? value : undefined;
}
