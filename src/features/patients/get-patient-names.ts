import { DomainError } from "../../domain/errors.js";
import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort } from "../../platform/ports.js";
import { directoryCall } from "./directory-call.js";
import type { PatientDirectory, PatientSummary } from "./ports.js";

/** The most ids one look-up takes: a page of the console's list. */
export const NAME_LOOKUP_MAX = 100;

/**
 * The names behind the patient ids a staff screen shows (the visit list, a visit). A read of
 * patient data, audited with the ids read (ids only, never the names).
 */
export class GetPatientNames {
  constructor(private readonly deps: { directory: PatientDirectory; audit: AuditPort }) {}

  execute(actor: Actor, ids: readonly string[]): Promise<{ items: PatientSummary[] }> {
    const unique = [...new Set(ids)];
    return audited(
      this.deps.audit,
      { actor, action: "patient.names.read", targets: { patientIds: unique.join(",") } },
      async () => {
        assertPermission(actor, "session.read");
        if (unique.length > NAME_LOOKUP_MAX) throw new DomainError("VALIDATION_FAILED", `at most ${NAME_LOOKUP_MAX} ids`);
        return { items: await directoryCall(() => this.deps.directory.byIds(actor.tenantId, unique)) };
      },
      { auditSuccess: true },
    );
  }
}
