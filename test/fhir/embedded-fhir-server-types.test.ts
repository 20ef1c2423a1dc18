import { existsSync, readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";

/**
 * The quick start's FHIR server knows only the types the service uses (issue 23, memory): what it
 * knows still validates and searches as before, and a type it does not know is refused, not stored.
 */
describe("embedded FHIR server limited to the service's resource types", () => {
  const fhir = new EmbeddedFhirServer({ lazy: true, resourceTypes: ["Patient", "Encounter"] });
  let base: string;
  beforeAll(async () => {
    base = await fhir.start();
  });
  afterAll(() => fhir.stop());
  const post = (type: string, body: unknown) =>
    fetch(`${base}/${type}`, { method: "POST", headers: { "content-type": "application/fhir+json" }, body: JSON.stringify(body) });

  it("when a known type is written and searched, then it validates and is found; an invalid one is refused", async () => {
    const ok = await post("Encounter", {
      resourceType: "Encounter",
      status: "finished",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "VR" },
      identifier: [{ system: "urn:virtual-care:session", value: "s-1" }],
    });
    expect(ok.status).toBe(201);
    const found = (await (await fetch(`${base}/Encounter?identifier=urn:virtual-care:session|s-1`)).json()) as { entry?: unknown[] };
    expect(found.entry).toHaveLength(1);
    expect((await post("Encounter", { resourceType: "Encounter", status: "finished" })).status).toBe(400);
  });

  it("when a type outside the list is written, then it is refused and nothing is stored", async () => {
    const res = await post("Observation", { resourceType: "Observation", status: "final", code: { text: "x" } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await fhir.search("Observation", {}).catch(() => [])).toEqual([]);
  });

  it("when the definitions were made for these types, then they are cached by Medplum's version for the next start", () => {
    const dir = "node_modules/.cache/virtual-care-service";
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir).some((f) => /^fhir-r4-\d+\.\d+\.\d+-[0-9a-f]{12}\.json$/.test(f))).toBe(true);
  });
});
