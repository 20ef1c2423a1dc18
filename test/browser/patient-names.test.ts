import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, TENANT, type Rig } from "../support/browser.js";
import { TENANT_TAG_SYSTEM } from "../../src/adapters/fhir/fhir-gateway.js";

/** People, not ids: the console reads names from the FHIR server and searches it when creating a visit. */
describe("Browser: the console shows patients' names and finds patients by name", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
    await rig.app.fhir.create({ resourceType: "Patient", id: "pt-ana", meta: { tag: [{ system: TENANT_TAG_SYSTEM, code: TENANT }] }, name: [{ use: "official", given: ["Ana", "María"], family: "García López" }], birthDate: "1984-03-12" });
    await rig.app.fhir.create({ resourceType: "Patient", id: "pt-garcia-2", meta: { tag: [{ system: TENANT_TAG_SYSTEM, code: TENANT }] }, name: [{ given: ["Pedro"], family: "García" }], birthDate: "1950-02-01" });
    await rig.app.fhir.create({ resourceType: "Patient", id: "pt-lucia", meta: { tag: [{ system: TENANT_TAG_SYSTEM, code: TENANT }] }, name: [{ given: ["Lucía"], family: "Fernández" }] });
  });
  afterAll(() => rig?.close());

  const createVisit = async (patientId: string) => {
    const token = await rig.staffToken();
    const res = await rig.app.request({ method: "POST", url: "/v1/sessions", token, body: { patientId, providerId: "dr-browser", scheduledStart: new Date().toISOString() } });
    return res.json().id as string;
  };
  const openConsole = async (width: number, height: number): Promise<Page> => {
    const page = await rig.page(await rig.context());
    await page.setViewportSize({ width, height });
    await page.goto(`${rig.base}/console?tenant=${TENANT}#token=${await rig.staffToken()}`);
    await page.getByRole("heading", { name: "Today's visits" }).waitFor();
    return page;
  };

  it("when the list shows visits, then each row names its patient, an id the records do not know stays an id, and the create form finds a patient by name", async () => {
    const named = await createVisit("pt-ana");
    const unknown = await createVisit("pt-nobody");
    const page = await openConsole(1440, 900);
    await page.locator(`tr[data-session="${named}"] [data-testid=row-patient]`, { hasText: "Ana María García López" }).waitFor();
    expect(await page.locator(`tr[data-session="${unknown}"] [data-testid=row-patient]`).textContent()).toBe("pt-nobody");
    await page.getByRole("button", { name: "Open Ana María García López" }).waitFor();

    // Search: type part of a name, arrow to the patient, Enter chooses.
    const field = page.getByRole("combobox", { name: "Patient id or name" });
    await field.fill("garc");
    const listbox = page.getByRole("listbox");
    await listbox.waitFor();
    expect(await page.getByRole("option").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Ana María García López born 1984-03-12 · pt-ana$/), expect.stringMatching(/^Pedro García/)]),
    );
    expect(await page.getByTestId("patient-search-status").textContent()).toBe("2 patients found; use the arrow keys to choose.");
    expect(await rig.axe(page)).toEqual([]);
    await rig.screenshot(page, "console-patient-search-1440");
    await field.press("ArrowDown");
    const first = page.locator('[role=option][aria-selected="true"]');
    await first.waitFor();
    expect(await first.getAttribute("id")).toBe("new-patient-option-0");
    expect(await field.getAttribute("aria-activedescendant")).toBe(await first.getAttribute("id"));
    const firstId = (await first.textContent())!.endsWith("pt-ana") ? "pt-ana" : "pt-garcia-2";
    await field.press("Enter");
    await listbox.waitFor({ state: "hidden" });
    expect(await page.getByTestId("patient-search-status").textContent()).toBe(`Patient id: ${firstId}`);
    await page.getByRole("button", { name: "Create visit" }).click();
    const heading = page.getByTestId("visit-patient");
    await heading.filter({ hasText: firstId === "pt-ana" ? "Ana María García López" : "Pedro García" }).waitFor();
    const sessionId = (await page.locator("[data-session-id]").getAttribute("data-session-id"))!;
    const stored = (await rig.app.request({ method: "GET", url: `/v1/sessions/${sessionId}`, token: await rig.staffToken() })).json();
    // The visit holds the id, never the name.
    expect(stored.patientId).toBe(firstId);
  }, 90_000);

  it("when the service refuses a create, then the form says why in the page's words, chosen by the problem code, not the service's English detail", async () => {
    const page = await openConsole(1440, 900);
    await page.getByLabel("Language").selectOption("es");
    const field = page.getByRole("combobox", { name: "Id o nombre del paciente" });
    await field.fill("Nadie Conocido");
    await page.getByTestId("patient-search-status").filter({ hasText: "Ningún paciente con ese nombre" }).waitFor();
    await page.getByRole("button", { name: "Crear consulta" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toBe("Algún dato no es válido. Revise los campos e inténtelo de nuevo.");
  }, 60_000);

  it("on a phone, the list and the search fit the screen", async () => {
    const page = await openConsole(390, 844);
    await page.getByRole("combobox", { name: "Patient id or name" }).fill("ana");
    await page.getByRole("listbox").waitFor();
    expect(await rig.axe(page)).toEqual([]);
    await rig.screenshot(page, "console-patient-search-390");
  }, 60_000);

  it("when the FHIR server is down, then the list shows ids, search says it is unavailable, and a visit is still created by id", async () => {
    const visit = await createVisit("pt-lucia");
    await rig.app.fhir.stop();
    try {
      const page = await openConsole(1440, 900);
      const cell = page.locator(`tr[data-session="${visit}"] [data-testid=row-patient]`);
      await cell.waitFor();
      expect(await cell.textContent()).toBe("pt-lucia");
      const field = page.getByRole("combobox", { name: "Patient id or name" });
      await field.fill("luc");
      await page.getByTestId("patient-search-status").filter({ hasText: "Patient search is unavailable right now. Enter the patient id." }).waitFor();
      await field.fill("pt-lucia");
      await page.getByRole("button", { name: "Create visit" }).click();
      await page.getByTestId("visit-patient").filter({ hasText: "pt-lucia" }).waitFor();
      await rig.screenshot(page, "console-visit-fhir-down-1440");
    } finally {
      await rig.app.fhir.start();
    }
  }, 60_000);
});
