/**
 * Ids that come from other systems. Appointment ids and participants' external ids stay inside
 * this service (event data, SQL parameters): FHIR's id alphabet plus `_` and `:`, at most 128.
 */
export const EXTERNAL_ID_SOURCE = "^[A-Za-z0-9._:-]{1,128}$";
const EXTERNAL_ID = new RegExp(EXTERNAL_ID_SOURCE);

export const isExternalId = (value: unknown): value is string => typeof value === "string" && EXTERNAL_ID.test(value);

/**
 * Patient and provider ids are the logical ids of the FHIR Patient and Practitioner (contract §7,
 * §9: `Patient/{patientId}`), so they take FHIR R4's id syntax exactly: `[A-Za-z0-9\-\.]{1,64}`.
 * Anything wider would become a literal reference a strict FHIR server refuses (docs/decisions.md).
 */
export const FHIR_ID_SOURCE = "^[A-Za-z0-9.-]{1,64}$";
const FHIR_ID = new RegExp(FHIR_ID_SOURCE);

export const isFhirId = (value: unknown): value is string => typeof value === "string" && FHIR_ID.test(value);
