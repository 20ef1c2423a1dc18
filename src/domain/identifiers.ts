/**
 * Ids that come from other systems (patient, provider, appointment ids). They end up in FHIR
 * references (`Patient/{id}`), event data and SQL parameters, so every entry point accepts the same
 * shape: FHIR's id alphabet plus `:`, at most 128 characters.
 */
export const EXTERNAL_ID_SOURCE = "^[A-Za-z0-9._:-]{1,128}$";
const EXTERNAL_ID = new RegExp(EXTERNAL_ID_SOURCE);

export const isExternalId = (value: unknown): value is string => typeof value === "string" && EXTERNAL_ID.test(value);
