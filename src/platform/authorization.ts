import { DomainError } from "../domain/errors.js";
import type { Actor, StaffRole } from "./ports.js";

/** Which staff roles may do what: the only copy of the role table. */
export const permissions = {
  "session.create": ["clinician", "scheduler", "admin"],
  "session.read": ["clinician", "scheduler", "admin"],
  "participant.add": ["clinician", "scheduler", "admin"],
  // A clinician participant is a moderator on video: only clinical staff or an admin may add one
  // (issue 11: a scheduler could otherwise mint a moderator). The provider joins by default.
  "participant.add_clinician": ["clinician", "admin"],
  "join_token.issue": ["clinician", "scheduler", "admin"],
  // Holding a clinician participant's join token is joining as host: same roles as adding one.
  "join_token.issue_clinician": ["clinician", "admin"],
  "participant.admit": ["clinician", "admin"],
  "participant.remove": ["clinician", "admin"],
  "session.end": ["clinician", "admin"],
  "session.fallback": ["clinician", "admin"],
  "session.cancel": ["clinician", "scheduler", "admin"],
  "ai_summary.accept": ["clinician"],
  // The draft is clinical content: only clinicians upload, read or reject it (docs/decisions.md).
  "ai_summary.request": ["clinician"],
  "ai_summary.read": ["clinician"],
  "ai_summary.reject": ["clinician"],
  "async_visit.submit": ["clinician", "scheduler", "admin"],
  "async_visit.read": ["clinician"],
  "async_visit.review": ["clinician"],
  // Answering is clinical, like reading what it answers (issue 19, docs/decisions.md).
  "async_visit.reply": ["clinician"],
  "tenant_config.read": ["admin", "platform_admin"],
  "tenant_config.update": ["admin", "platform_admin"],
  "tenant_config.license": ["platform_admin"],
  // Webhook endpoints are part of the tenant config; their delivery log and recovery are the admins' too.
  "webhook.read": ["admin", "platform_admin"],
  "webhook.manage": ["admin", "platform_admin"],
} as const satisfies Record<string, readonly StaffRole[]>;

export type Permission = keyof typeof permissions;

export function hasPermission(actor: Actor, permission: Permission): boolean {
  if (actor.kind === "system") return true;
  if (actor.kind !== "staff") return false;
  const allowed: readonly StaffRole[] = permissions[permission];
  return actor.roles.some((r) => allowed.includes(r));
}

export function assertPermission(actor: Actor, permission: Permission): void {
  if (!hasPermission(actor, permission)) {
    throw new DomainError("FORBIDDEN", `this action needs one of the roles: ${permissions[permission].join(", ")}`);
  }
}

export function actorId(actor: Actor): string {
  switch (actor.kind) {
    case "staff":
      return actor.userId;
    case "participant":
      return actor.participantId;
    case "system":
      return actor.name;
    case "anonymous":
      return "anonymous";
  }
}
