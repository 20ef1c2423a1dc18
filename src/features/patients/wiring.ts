import type { HttpFeature } from "../../http/app.js";
import type { AuditPort } from "../../platform/ports.js";
import { GetPatientNames } from "./get-patient-names.js";
import type { PatientDirectory } from "./ports.js";
import { patientRoutes } from "./routes.js";
import { SearchPatients } from "./search-patients.js";

/** Patient look-ups for the console (names behind ids, search by name): reads of the FHIR server only. */
export function patientsFeature(d: { directory: PatientDirectory; audit: AuditPort }): HttpFeature {
  return patientRoutes({ getPatientNames: new GetPatientNames(d), searchPatients: new SearchPatients(d) });
}
