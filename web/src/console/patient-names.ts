import { useEffect, useState } from "preact/hooks";
import { api, type Credential, type Schema } from "../api.js";

export type PatientSummary = Schema["PatientSummary"];

/** Names this page has read (from FHIR, through the service), for a minute: never stored beyond the tab. */
const known = new Map<string, { name: string | null; until: number }>();
const TTL_MS = 60_000;

/** The name behind an id when this page knows it (null: not known, show the id). */
export function cachedName(id: string): string | null {
  const hit = known.get(id);
  return hit && hit.until > Date.now() ? hit.name : null;
}

export function rememberPatients(patients: PatientSummary[]): void {
  for (const p of patients) known.set(p.id, { name: p.name, until: Date.now() + TTL_MS });
}

/**
 * The names behind the ids a screen shows, read in one request (`GET /v1/patients?id=…`). Until
 * they arrive, or when the patient records cannot be read, or for an id they do not know, the
 * screen shows the id: the names are an aid, never a condition for working.
 */
export function usePatientNames(cred: Credential, ids: readonly string[]): (id: string) => string {
  const wanted = [...new Set(ids)].filter((id) => !known.has(id) || known.get(id)!.until <= Date.now()).sort();
  const [, setVersion] = useState(0);
  const key = wanted.join("\n");
  useEffect(() => {
    if (wanted.length === 0) return;
    let live = true;
    api(cred, "GET", "/v1/patients", { query: { id: wanted.slice(0, 100) } })
      .then(({ items }) => {
        rememberPatients(items);
        // Ids the records do not know are remembered as such, so they are not asked again at once.
        for (const id of wanted) if (!items.some((p) => p.id === id)) known.set(id, { name: null, until: Date.now() + TTL_MS });
      })
      .catch(() => undefined)
      .finally(() => live && setVersion((v) => v + 1));
    return () => {
      live = false;
    };
  }, [key, cred.token]);
  return (id) => cachedName(id) ?? id;
}
