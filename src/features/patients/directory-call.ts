import { DomainError, isDomainError } from "../../domain/errors.js";

/** A FHIR server that cannot answer is an outage of the directory (503), not a failure of ours (500). */
export async function directoryCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isDomainError(err)) throw err;
    throw new DomainError("PATIENT_DIRECTORY_UNAVAILABLE", "the patient records cannot be read right now; use the patient id");
  }
}
