import type { DocumentReference, Encounter, Resource } from "@medplum/fhirtypes";
import type { ChartDocumentPort, ChartDocumentRequest } from "../../features/ai-summary/ports.js";
import type { EncounterPort, EncounterRequest } from "../../features/sessions/ports.js";
import { literalReference } from "./fhir-references.js";

export const SESSION_IDENTIFIER_SYSTEM = "urn:virtual-care:session";
export const SUMMARY_IDENTIFIER_SYSTEM = "urn:virtual-care:ai-summary";

/** The FHIR R4 REST gateway (Encounter and chart document): conditional creates keyed by our own identifiers. */
export class FhirGateway implements EncounterPort, ChartDocumentPort {
  private readonly base: string;

  constructor(
    fhirBaseUrl: string,
    private readonly timeoutMs = 5000,
  ) {
    this.base = fhirBaseUrl.replace(/\/$/, "");
  }

  /** The Encounter of a finished video visit. */
  ensureEncounter(r: EncounterRequest): Promise<string> {
    const encounter: Encounter = {
      resourceType: "Encounter",
      status: "finished",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "VR", display: "virtual" },
      identifier: [{ system: SESSION_IDENTIFIER_SYSTEM, value: r.sessionId }],
      subject: literalReference("Patient", r.patientId),
      participant: [{ individual: literalReference("Practitioner", r.providerId) }],
      period: { start: r.start.toISOString(), end: r.end.toISOString() },
    };
    return this.conditionalCreate(encounter, SESSION_IDENTIFIER_SYSTEM, r.sessionId);
  }

  /** The clinician-accepted visit summary, as a progress note in the patient's chart. */
  ensureDocumentReference(r: ChartDocumentRequest): Promise<string> {
    const doc: DocumentReference = {
      resourceType: "DocumentReference",
      status: "current",
      docStatus: "final",
      identifier: [{ system: SUMMARY_IDENTIFIER_SYSTEM, value: r.summaryId }],
      type: { coding: [{ system: "http://loinc.org", code: "11506-3", display: "Progress note" }] },
      subject: literalReference("Patient", r.patientId),
      date: r.acceptedAt.toISOString(),
      author: [literalReference("Practitioner", r.providerId)],
      description: "Visit summary drafted with AI assistance, reviewed and accepted by the clinician",
      content: [
        {
          attachment: {
            contentType: "text/plain; charset=utf-8",
            data: Buffer.from(r.text, "utf8").toString("base64"),
            title: "Visit summary",
            creation: r.acceptedAt.toISOString(),
          },
        },
      ],
      ...(r.encounterId ? { context: { encounter: [literalReference("Encounter", r.encounterId)] } } : {}),
    };
    return this.conditionalCreate(doc, SUMMARY_IDENTIFIER_SYSTEM, r.summaryId);
  }

  private async conditionalCreate(resource: Resource, system: string, value: string): Promise<string> {
    const res = await fetch(`${this.base}/${resource.resourceType}`, {
      method: "POST",
      headers: {
        "content-type": "application/fhir+json",
        accept: "application/fhir+json",
        prefer: "return=representation",
        "if-none-exist": `identifier=${system}|${value}`,
      },
      body: JSON.stringify(resource),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // 201 created, 200 it already existed (the conditional create found it).
    if (res.status !== 200 && res.status !== 201) {
      await res.body?.cancel();
      throw new Error(`FHIR ${resource.resourceType} create answered HTTP ${res.status}`);
    }
    const text = await res.text();
    const body = (text ? JSON.parse(text) : {}) as { resourceType?: string; id?: string };
    const id = body.resourceType === resource.resourceType ? body.id : idFromLocation(res.headers.get("location"), resource.resourceType);
    if (!id) throw new Error(`FHIR ${resource.resourceType} create returned no id`);
    return id;
  }
}

function idFromLocation(location: string | null, type: string): string | undefined {
  return location ? new RegExp(`${type}/([^/]+)`).exec(location)?.[1] : undefined;
}
