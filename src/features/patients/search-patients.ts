import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort } from "../../platform/ports.js";
import { directoryCall } from "./directory-call.js";
import type { PatientDirectory, PatientSummary } from "./ports.js";

/** The create form's suggestions: enough to choose from, not a way to page through the records. */
export const SEARCH_LIMIT = 10;

/**
 * Patients by name, for whoever may create a visit. Audited as a read of patient data: the
 * number of matches is kept, the words searched are not (they are a name).
 */
export class SearchPatients {
  constructor(private readonly deps: { directory: PatientDirectory; audit: AuditPort }) {}

  async execute(actor: Actor, name: string): Promise<{ items: PatientSummary[] }> {
    const words = name.trim().split(/\s+/).filter((w) => w.length > 0).slice(0, 4);
    const targets: Record<string, string> = {};
    return audited(
      this.deps.audit,
      { actor, action: "patient.search", targets },
      async () => {
        assertPermission(actor, "session.create");
        const items = words.length === 0 ? [] : await directoryCall(() => this.deps.directory.search(actor.tenantId, words, SEARCH_LIMIT));
        // Filled in before the audit entry is written (audited records after the work).
        targets.matches = String(items.length);
        return { items };
      },
      { auditSuccess: true },
    );
  }
}
