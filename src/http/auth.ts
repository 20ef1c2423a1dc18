import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Actor, Clock, StaffRole } from "../platform/ports.js";
import { DomainError } from "../domain/errors.js";

const ROLES: ReadonlySet<string> = new Set<StaffRole>(["clinician", "scheduler", "admin", "platform_admin"]);

export type StaffAuthConfig = (
  | { kind: "hs256"; secret: string; issuer?: string; audience?: string }
  | { kind: "jwks"; url: string; issuer?: string; audience?: string; cacheMaxAgeMs?: number }
) & {
  /** Tokens expiring further ahead than this are refused (a leaked token must not live for years). */
  maxLifetimeSeconds?: number;
};

/** Tenant ids as the service writes them: no leading "_" (reserved: `_unauthenticated`, `_unknown`). */
export const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DEFAULT_MAX_LIFETIME_SECONDS = 24 * 60 * 60;
/**
 * Clock skew between the IdP and this replica (docs/decisions.md, "Clock skew"): a token whose
 * `nbf` is up to this far ahead is accepted, so an IdP a little ahead does not lock staff out.
 * `exp` gets no tolerance: an expired token is refused at once.
 */
const NOT_BEFORE_TOLERANCE_SECONDS = 60;
/** jose refetches the JWKS this often, so a key removed by the IdP stops verifying within it. */
const JWKS_CACHE_MAX_AGE_MS = 60_000;

export type StaffAuthenticator = (authorization: string | undefined) => Promise<Actor>;

/** Staff bearer JWTs with `sub`, `tenant_id`, `roles` and `exp`, their times judged by `clock`. */
export function staffAuthenticator(config: StaffAuthConfig, clock: Clock): StaffAuthenticator {
  // The HMAC key is imported once: handed raw bytes, jose imports them into WebCrypto on every
  // verification, which the bench's profile showed as the largest crypto cost per request.
  const key: Promise<CryptoKey> | JWTVerifyGetKey =
    config.kind === "hs256"
      ? crypto.subtle.importKey("raw", new TextEncoder().encode(config.secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"])
      : createRemoteJWKSet(new URL(config.url), { cacheMaxAge: config.cacheMaxAgeMs ?? JWKS_CACHE_MAX_AGE_MS });
  const algorithms = config.kind === "hs256" ? ["HS256"] : ["RS256", "ES256", "PS256", "EdDSA"];
  // Only HS256 verifications are remembered: with a JWKS the key can leave the set, and a
  // remembered token would outlive its key. jose keeps the fetched keys (cacheMaxAge) instead.
  const verified = config.kind === "hs256" ? new VerifiedTokens(VERIFIED_TOKENS_KEPT) : null;
  const maxLifetimeMs = (config.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS) * 1000;
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    if (!match?.[1]) throw new DomainError("UNAUTHENTICATED", "send a staff bearer token in the Authorization header");
    const now = clock.now();
    const known = verified?.get(match[1], now.getTime());
    if (known) return known;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1], typeof key === "function" ? key : await key, {
        algorithms,
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ["sub", "exp"],
        clockTolerance: NOT_BEFORE_TOLERANCE_SECONDS,
        currentDate: now,
      }));
      // jose applies the tolerance to exp as well: take it back.
      if (typeof payload.exp === "number" && payload.exp * 1000 <= now.getTime()) throw new Error("expired");
    } catch {
      throw new DomainError("UNAUTHENTICATED", "the bearer token is invalid or expired");
    }
    const tenantId = payload.tenant_id;
    const roles = payload.roles;
    if (typeof tenantId !== "string" || !TENANT_ID.test(tenantId) || !Array.isArray(roles) || typeof payload.sub !== "string" || payload.sub.length > 256) {
      throw new DomainError("UNAUTHENTICATED", "the bearer token lacks a valid tenant_id, roles or sub");
    }
    if (typeof payload.exp !== "number" || payload.exp * 1000 - now.getTime() > maxLifetimeMs + 60_000) {
      throw new DomainError("UNAUTHENTICATED", "the bearer token expires too far in the future");
    }
    const actor: Actor = {
      kind: "staff",
      userId: payload.sub,
      tenantId,
      roles: roles.filter((r): r is StaffRole => typeof r === "string" && ROLES.has(r)),
      ...staffName(payload.name),
    };
    verified?.set(match[1], actor, payload.exp * 1000);
    return actor;
  };
}

/**
 * The OIDC `name` claim, shown to the patient as the clinician's name in the video room: a short
 * single line of printable text, or nothing.
 */
function staffName(name: unknown): { name?: string } {
  if (typeof name !== "string") return {};
  const clean = name.replace(/\s+/g, " ").trim();
  return clean && clean.length <= 120 && !/[\p{Cc}\p{Cf}]/u.test(clean) ? { name: clean } : {};
}

const PLAIN_ID = /^[A-Za-z0-9._:@-]{1,64}$/;

/**
 * What an unverified bearer token claims to be, for the audit record of its refusal. Only values
 * shaped like identifiers are kept, so a forged token cannot smuggle free text into the audit trail.
 */
export function claimedIdentity(authorization: string | undefined): { claimedTenantId?: string; claimedSubject?: string } {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) return {};
  try {
    const payload = decodeJwt(token);
    const pick = (v: unknown) => (typeof v === "string" && PLAIN_ID.test(v) ? v : undefined);
    const tenant = pick(payload.tenant_id);
    const sub = pick(payload.sub);
    return { ...(tenant ? { claimedTenantId: tenant } : {}), ...(sub ? { claimedSubject: sub } : {}) };
  } catch {
    return {};
  }
}

/** Enough for every staff member of a large deployment; at most a few MB. */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Tokens whose signature and claims were already checked, kept until their `exp`: a browser
 * sends the same token on every request, and the HMAC check (a WebCrypto job on the thread
 * pool) was the largest per-request cost in the bench profile after SQL. The same string is
 * the same signed claims, so nothing but expiry can change its answer; failures are never kept.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { actor: Actor; expiresAtMs: number }>();

  constructor(private readonly max: number) {}

  get(token: string, nowMs: number): Actor | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    // jose's rule: a token is expired from its `exp` second on.
    if (nowMs >= hit.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    return { ...hit.actor } as Actor;
  }

  set(token: string, actor: Actor, expiresAtMs: number): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { actor, expiresAtMs });
  }
}
