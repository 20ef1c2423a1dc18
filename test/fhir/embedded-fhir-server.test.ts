import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";

/** The in-process FHIR server must behave like a real one where the service relies on it. */
describe("embedded FHIR server", () => {
  const fhir = new EmbeddedFhirServer();
  let base: string;
  beforeAll(async () => {
    base = await fhir.start();
  });
  afterAll(() => fhir.stop());

  const encounter = (sessionId: string) => ({
    resourceType: "Encounter",
    status: "finished",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "VR" },
    subject: { reference: "Patient/p-1" },
    identifier: [{ system: "urn:virtual-care:session", value: sessionId }],
  });
  const post = (body: unknown, ifNoneExist?: string) =>
    fetch(`${base}/Encounter`, {
      method: "POST",
      headers: { "content-type": "application/fhir+json", ...(ifNoneExist ? { "if-none-exist": ifNoneExist } : {}) },
      body: JSON.stringify(body),
    });
  const byIdentifier = (value: string) => fhir.search("Encounter", { identifier: value });

  it("when the same conditional create is sent concurrently, then exactly one resource exists and all answers name it", async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post(encounter("s-race"), "identifier=urn:virtual-care:session|s-race")),
    );
    const bodies = await Promise.all(answers.map((r) => r.json() as Promise<{ id: string }>));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(await byIdentifier("urn:virtual-care:session|s-race")).toHaveLength(1);
  });

  it("when a resource breaks the R4 structure, then 400 OperationOutcome and nothing is stored", async () => {
    const res = await post({ resourceType: "Encounter", status: "finished", identifier: [{ system: "urn:x", value: "bad" }] });
    expect(res.status).toBe(400);
    expect((await res.json()).resourceType).toBe("OperationOutcome");
    expect(await byIdentifier("urn:x|bad")).toHaveLength(0);
  });

  it("when it is stopped and started again, then it answers on the same base URL with its data kept", async () => {
    await post(encounter("s-keep"), "identifier=urn:virtual-care:session|s-keep");
    await fhir.stop();
    await expect(fetch(`${base}/metadata`)).rejects.toThrow();
    expect(await fhir.start()).toBe(base);
    const res = await fetch(`${base}/Encounter?identifier=${encodeURIComponent("urn:virtual-care:session|s-keep")}`);
    expect((await res.json()).entry).toHaveLength(1);
  });
});
