import { describe, expect, it } from "vitest";
import { CachedPatientDirectory, PATIENT_CACHE_MS } from "../../src/adapters/fhir/patient-name-cache.js";
import type { PatientDirectory, PatientSummary } from "../../src/features/patients/ports.js";

describe("CachedPatientDirectory: names for a minute, in memory only", () => {
  const records = new Map<string, PatientSummary>([["p1", { id: "p1", name: "Ana García", birthDate: null }]]);
  const rig = () => {
    const calls: string[][] = [];
    const inner: PatientDirectory = {
      byIds: async (_t, ids) => (calls.push([...ids]), ids.flatMap((id) => (records.has(id) ? [records.get(id)!] : []))),
      search: async () => [...records.values()],
    };
    let now = 1_000_000;
    const cache = new CachedPatientDirectory(inner, () => now);
    return { cache, calls, advance: (ms: number) => (now += ms) };
  };

  it("when the same ids are asked again within a minute, then FHIR is not asked again; after it, it is", async () => {
    const r = rig();
    expect(await r.cache.byIds("t", ["p1", "nobody"])).toEqual([records.get("p1")]);
    expect(await r.cache.byIds("t", ["p1", "nobody"])).toEqual([records.get("p1")]);
    expect(r.calls).toEqual([["p1", "nobody"]]);
    r.advance(PATIENT_CACHE_MS + 1);
    await r.cache.byIds("t", ["p1"]);
    expect(r.calls).toEqual([["p1", "nobody"], ["p1"]]);
  });

  it("when another tenant asks for the same id, then it is read for that tenant, not served from the first one's entry", async () => {
    const r = rig();
    await r.cache.byIds("t1", ["p1"]);
    await r.cache.byIds("t2", ["p1"]);
    expect(r.calls).toEqual([["p1"], ["p1"]]);
  });

  it("when a search found a patient, then a list naming that patient next needs no FHIR read", async () => {
    const r = rig();
    await r.cache.search("t", ["ana"], 10);
    await r.cache.byIds("t", ["p1"]);
    expect(r.calls).toEqual([]);
  });
});
