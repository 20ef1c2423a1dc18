import type { Bundle, DocumentReference, Encounter, HumanName, Patient, Resource } from "@medplum/fhirtypes";
import type { ChartDocumentPort, ChartDocumentRequest } from "../../features/ai-summary/ports.js";
import type { PatientDirectory, PatientSummary } from "../../features/patients/ports.js";
import type { EncounterPort, EncounterRequest } from "../../features/sessions/ports.js";
import { literalReference } from "./fhir-references.js";
import { tracedFetch } from "../opentelemetry/http-client-span.js";

export const SESSION_IDENTIFIER_SYSTEM = "urn:virtual-care:session";
export const SUMMARY_IDENTIFIER_SYSTEM = "urn:virtual-care:ai-summary";
/**
 * One FHIR server serves every tenant (contract: one FHIR_BASE_URL), so a tenant's patients are the
 * ones tagged with it (`meta.tag` = this system | tenant id): name search and name lookup ask for
 * that tag, and a patient another tenant's tag marks is never named to this one (docs/security.md).
 */
export const TENANT_TAG_SYSTEM = "urn:virtual-care:tenant";

/**
 * US Core asks for Encounter.type (value set us-core-encounter-type: SNOMED CT descendants of
 * 308335008 "Patient encounter procedure") and DocumentReference.category (clinical-note for a
 * note a clinician signed). Every visit here is a video visit, so one code fits each.
 */
export const VIDEO_VISIT_TYPE = {
  coding: [{ system: "http://snomed.info/sct", code: "448337001", display: "Telemedicine consultation with patient (procedure)" }],
  text: "Video visit",
};
export const CLINICAL_NOTE_CATEGORY = {
  coding: [{ system: "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", code: "clinical-note", display: "Clinical Note" }],
};

/** The FHIR R4 REST gateway (Encounter and chart document): conditional creates keyed by our own identifiers. */
export class FhirGateway implements EncounterPort, ChartDocumentPort, PatientDirectory {
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
      type: [VIDEO_VISIT_TYPE],
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
      category: [CLINICAL_NOTE_CATEGORY],
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

  /** `Patient?_id=a,b,…`: one request for a page of ids; only the name and birth date are asked for. */
  async byIds(tenantId: string, ids: readonly string[]): Promise<PatientSummary[]> {
    if (ids.length === 0) return [];
    const q = new URLSearchParams({ _id: ids.join(","), _tag: `${TENANT_TAG_SYSTEM}|${tenantId}`, _count: String(ids.length), _elements: "name,birthDate" });
    return this.searchPatients(q);
  }

  /** `Patient?name=w1&name=w2`: FHIR string search (case- and accent-insensitive prefix match on name parts), each word required. */
  async search(tenantId: string, words: readonly string[], limit: number): Promise<PatientSummary[]> {
    const q = new URLSearchParams({ _tag: `${TENANT_TAG_SYSTEM}|${tenantId}`, _count: String(limit), _elements: "name,birthDate" });
    for (const w of words) q.append("name", w);
    return (await this.searchPatients(q)).slice(0, limit);
  }

  private async searchPatients(q: URLSearchParams): Promise<PatientSummary[]> {
    const res = await tracedFetch(`${this.base}/Patient?${q}`, {
      headers: { accept: "application/fhir+json" },
      // The console waits on this: a slow FHIR server shows ids rather than a stalled screen.
      signal: AbortSignal.timeout(Math.min(this.timeoutMs, 3000)),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`FHIR Patient search answered HTTP ${res.status}`);
    }
    const bundle = (await res.json()) as Bundle<Patient>;
    return (bundle.entry ?? []).flatMap((e) => {
      const p = e.resource;
      if (p?.resourceType !== "Patient" || !p.id) return [];
      return [{ id: p.id, name: displayName(p.name) ?? p.id, birthDate: p.birthDate ?? null }];
    });
  }

  private async conditionalCreate(resource: Resource, system: string, value: string): Promise<string> {
    const res = await tracedFetch(`${this.base}/${resource.resourceType}`, {
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

/** The name people use: the official one (else the first not old), as its `text` or given names then family. */
export function displayName(names: HumanName[] | undefined): string | undefined {
  const current = (names ?? []).filter((n) => n.use !== "old");
  const n = current.find((x) => x.use === "official") ?? current[0];
  if (!n) return undefined;
  const text = n.text?.trim() || [...(n.given ?? []), n.family ?? ""].join(" ").replace(/\s+/g, " ").trim();
  return text || undefined;
}

function idFromLocation(location: string | null, type: string): string | undefined {
  return location ? new RegExp(`${type}/([^/]+)`).exec(location)?.[1] : undefined;
}
