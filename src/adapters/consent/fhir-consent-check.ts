import type { ConsentCheckPort } from "../../features/sessions/ports.js";
import { tracedFetch } from "../opentelemetry/http-client-span.js";

/**
 * ConsentCheckPort over FHIR R4 search: consent is on file when
 * `Consent?patient=Patient/{id}&status=active` returns at least one entry.
 */
export class FhirConsentCheck implements ConsentCheckPort {
  constructor(
    private readonly fhirBaseUrl: string,
    private readonly timeoutMs = 5000,
  ) {}

  async hasActiveConsent(_tenantId: string, patientId: string): Promise<boolean> {
    const url = new URL(`${this.fhirBaseUrl.replace(/\/$/, "")}/Consent`);
    url.searchParams.set("patient", `Patient/${patientId}`);
    url.searchParams.set("status", "active");
    url.searchParams.set("_count", "1");
    const res = await tracedFetch(url, {
      headers: { accept: "application/fhir+json" },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`FHIR Consent search answered HTTP ${res.status}`);
    const bundle = (await res.json()) as { resourceType?: string; total?: number; entry?: unknown[] };
    if (bundle.resourceType !== "Bundle") throw new Error("FHIR Consent search did not return a Bundle");
    return (bundle.entry?.length ?? 0) > 0 || (bundle.total ?? 0) > 0;
  }
}
