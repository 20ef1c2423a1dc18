import { DomainError } from "../../domain/errors.js";
import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import { assertUnexpired, type JoinCredential } from "../../platform/join-credential.js";
import { assertJoinStateUsable } from "./join-access.js";
import type { Actor, AuditPort, Clock } from "../../platform/ports.js";
import type { JoinQueries, JoinState, JoinTokenSignerPort } from "./ports.js";
import { LICENSING_URL } from "../../platform/tenant-access.js";

export interface JoinTokenView {
  token: string;
  expiresAt: string;
  joinUrl: string;
}

export interface GetJoinTokenDeps {
  joinQueries: JoinQueries;
  signer: JoinTokenSignerPort;
  audit: AuditPort;
  clock: Clock;
  /** `PUBLIC_BASE_URL`: the patient-facing web app that opens `/join?token=…`. */
  publicBaseUrl: string;
}

/**
 * Spec GetJoinToken: issue or refresh a participant's join token, valid for the tenant's
 * `joinTokenTtlSeconds`. Staff of the tenant issue; a participant may refresh its own token while
 * that token is still valid (a long wait must not strand a patient), never once it has expired.
 */
export class GetJoinToken {
  constructor(private readonly deps: GetJoinTokenDeps) {}

  /** Staff: clinician, scheduler or admin of the session's tenant; a clinician participant's token: clinician or admin. */
  issue(actor: Actor, sessionId: string, participantId: string): Promise<JoinTokenView> {
    return audited(
      this.deps.audit,
      { actor, action: "join_token.issue", targets: { sessionId, participantId } },
      async () => {
        assertPermission(actor, "join_token.issue");
        return this.mint(actor.tenantId, sessionId, participantId, (state) => {
          // A clinician participant joins as host (moderator): acting as one needs the role that
          // may add one (issue 20: a scheduler minted the provider's token and joined as owner).
          if (state.participant.role === "clinician") assertPermission(actor, "join_token.issue_clinician");
        });
      },
      { auditSuccess: true },
    );
  }

  /** A participant, with its own still-valid token, for the same session and participant. */
  async refresh({ actor, claims }: JoinCredential, sessionId: string, participantId: string): Promise<JoinTokenView> {
    return audited(
      this.deps.audit,
      { actor, action: "join_token.refresh", targets: { sessionId: claims.sessionId, participantId: claims.participantId } },
      async () => {
        assertUnexpired(claims, this.deps.clock.now());
        if (claims.sessionId !== sessionId || claims.participantId !== participantId) {
          throw new DomainError("FORBIDDEN", "a join token can only refresh itself");
        }
        return this.mint(claims.tenantId, sessionId, participantId);
      },
      { auditSuccess: true },
    );
  }

  private async mint(
    tenantId: string,
    sessionId: string,
    participantId: string,
    mayActAs: (state: JoinState) => void = () => undefined,
  ): Promise<JoinTokenView> {
    const state = await this.deps.joinQueries.joinState(tenantId, sessionId, participantId);
    assertJoinStateUsable(state);
    mayActAs(state);
    if (!state.config?.licensed) {
      throw new DomainError("MODULE_NOT_LICENSED", "the virtual care module is not licensed for this tenant", {
        licensingUrl: LICENSING_URL,
      });
    }
    const now = this.deps.clock.now();
    // Whole seconds: the token carries its expiry as a Unix time, and the answer must match it.
    const expiresAt = new Date(Math.floor(now.getTime() / 1000) * 1000 + state.config.joinTokenTtlSeconds * 1000);
    const token = this.deps.signer.issue({ tenantId, sessionId, participantId, expiresAt });
    return {
      token,
      expiresAt: expiresAt.toISOString(),
      joinUrl: `${this.deps.publicBaseUrl}/join?token=${encodeURIComponent(token)}`,
    };
  }
}
