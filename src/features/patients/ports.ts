/** Ports of the patient look-ups: the FHIR server's Patient records, read, never stored by us. */

/** A patient as the console shows it. Read from FHIR each time (briefly cached), never kept in our tables. */
export interface PatientSummary {
  /** The FHIR Patient logical id: what a visit's `patientId` holds. */
  id: string;
  /** `Patient.name` as people write it (official name first). */
  name: string;
  birthDate: string | null;
}

/**
 * The tenant's patient records (FHIR `Patient`). Both calls throw when the FHIR server cannot
 * answer (the caller answers PATIENT_DIRECTORY_UNAVAILABLE; the console then shows ids).
 */
export interface PatientDirectory {
  /** The patients among `ids` that FHIR knows; an unknown id is simply absent. */
  byIds(tenantId: string, ids: readonly string[]): Promise<PatientSummary[]>;
  /** Patients whose name matches every word of `words` (FHIR `Patient?name=`), at most `limit`. */
  search(tenantId: string, words: readonly string[], limit: number): Promise<PatientSummary[]>;
}
