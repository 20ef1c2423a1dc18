import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Actor, StaffRole } from "../app/ports.js";
import { DomainError } from "../domain/errors.js";

const ROLES: ReadonlySet<string> = new Set<StaffRole>(["clinician", "scheduler", "admin", "platform_admin"]);

export type StaffAuthConfig =
  | { kind: "hs256"; secret: string; issuer?: string; audience?: string }
  | { kind: "jwks"; url: string; issuer?: string; audience?: string };

export type StaffAuthenticator = (authorization: string | undefined) => Promise<Actor>;

/** Contract §2: staff bearer JWTs with `sub`, `tenant_id`, `roles` and `exp`. */
export function staffAuthenticator(config: StaffAuthConfig): StaffAuthenticator {
  const key: Uint8Array | JWTVerifyGetKey =
    config.kind === "hs256" ? new TextEncoder().encode(config.secret) : createRemoteJWKSet(new URL(config.url));
  const algorithms = config.kind === "hs256" ? ["HS256"] : ["RS256", "ES256", "PS256", "EdDSA"];
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    if (!match?.[1]) throw new DomainError("UNAUTHENTICATED", "send a staff bearer token in the Authorization header");
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1], key as Uint8Array, {
        algorithms,
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ["sub", "exp"],
      }));
    } catch {
      throw new DomainError("UNAUTHENTICATED", "the bearer token is invalid or expired");
    }
    const tenantId = payload.tenant_id;
    const roles = payload.roles;
    if (typeof tenantId !== "string" || tenantId.length === 0 || !Array.isArray(roles) || typeof payload.sub !== "string") {
      throw new DomainError("UNAUTHENTICATED", "the bearer token lacks tenant_id, roles or sub");
    }
    return {
      kind: "staff",
      userId: payload.sub,
      tenantId,
      roles: roles.filter((r): r is StaffRole => typeof r === "string" && ROLES.has(r)),
    };
  };
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
