import type { PatientDirectory, PatientSummary } from "../../features/patients/ports.js";

/** How long a name read from FHIR is reused: a renamed patient shows the new name within a minute. */
export const PATIENT_CACHE_MS = 60_000;
/** Bounded: the oldest entries go first beyond this many. */
const MAX_ENTRIES = 10_000;

/**
 * Names read from FHIR, kept in this process's memory for a minute and never written anywhere:
 * a list the console re-reads, or several clinicians on the same list, cost one FHIR read a
 * minute. Ids FHIR does not know are remembered as unknown for the same minute. Searches always
 * go to FHIR (they are typed letter by letter), and what they find fills the cache.
 */
export class CachedPatientDirectory implements PatientDirectory {
  private readonly entries = new Map<string, { patient: PatientSummary | null; until: number }>();

  constructor(
    private readonly inner: PatientDirectory,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = PATIENT_CACHE_MS,
  ) {}

  async byIds(tenantId: string, ids: readonly string[]): Promise<PatientSummary[]> {
    const now = this.now();
    const found: PatientSummary[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const hit = this.entries.get(key(tenantId, id));
      if (hit && hit.until > now) {
        if (hit.patient) found.push(hit.patient);
      } else missing.push(id);
    }
    if (missing.length > 0) {
      const read = await this.inner.byIds(tenantId, missing);
      const byId = new Map(read.map((p) => [p.id, p]));
      for (const id of missing) this.remember(tenantId, id, byId.get(id) ?? null, now);
      found.push(...read);
    }
    return found;
  }

  async search(tenantId: string, words: readonly string[], limit: number): Promise<PatientSummary[]> {
    const found = await this.inner.search(tenantId, words, limit);
    const now = this.now();
    for (const p of found) this.remember(tenantId, p.id, p, now);
    return found;
  }

  private remember(tenantId: string, id: string, patient: PatientSummary | null, now: number): void {
    const k = key(tenantId, id);
    this.entries.delete(k); // re-inserted last: Map order is the eviction order
    this.entries.set(k, { patient, until: now + this.ttlMs });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }
}

const key = (tenantId: string, id: string) => `${tenantId}\u0000${id}`;
