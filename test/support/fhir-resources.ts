import type { Consent } from "@medplum/fhirtypes";

/** A valid R4 Consent to virtual care treatment for a patient (what the chart holds when consent is on file). */
export function consentFor(patientId: string, status: Consent["status"] = "active"): Consent {
  return {
    resourceType: "Consent",
    status,
    scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "treatment" }] },
    category: [{ coding: [{ system: "http://loinc.org", code: "59284-0", display: "Patient Consent" }] }],
    patient: { reference: `Patient/${patientId}` },
    dateTime: "2026-11-20T08:00:00Z",
    policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN" }] },
  };
}
