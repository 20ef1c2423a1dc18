import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, TENANT, type Rig } from "../support/browser.js";
import { TENANT_TAG_SYSTEM } from "../../src/adapters/fhir/fhir-gateway.js";

/** Sums the page's layout shifts not caused by input (CLS's raw material), from the first paint on. */
const recordShifts = () => {
  const w = window as unknown as { __cls: number; __shifts: Array<{ value: number; nodes: string[] }> };
  w.__cls = 0;
  w.__shifts = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries() as Array<PerformanceEntry & { value: number; hadRecentInput: boolean; sources?: Array<{ node?: Node }> }>) {
      if (e.hadRecentInput) continue;
      w.__cls += e.value;
      w.__shifts.push({ value: e.value, nodes: (e.sources ?? []).map((s) => (s.node as Element | undefined)?.outerHTML?.slice(0, 80) ?? "?") });
    }
  }).observe({ type: "layout-shift", buffered: true });
};

/**
 * Lighthouse's "good" layout shift is below 0.1. The console loads its list, the names behind the
 * patient ids and the live waiting board after its first paint: none of them may push what is
 * already on screen.
 */
describe("Browser: the console does not jump while it loads", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
    const token = await rig.staffToken();
    for (const [id, given, family] of [["pt-cls-1", "Ana María", "García López"], ["pt-cls-2", "Tomás", "Okafor"], ["pt-cls-3", "Lucía", "Fernández Ruiz"]] as const) {
      await rig.app.fhir.create({ resourceType: "Patient", id, meta: { tag: [{ system: TENANT_TAG_SYSTEM, code: TENANT }] }, name: [{ given: given.split(" "), family }] });
    }
    for (const patientId of ["pt-cls-1", "pt-cls-2", "pt-cls-3", "pt-cls-unknown", "pt-cls-1"]) {
      const s = (await rig.app.request({ method: "POST", url: "/v1/sessions", token, body: { patientId, providerId: "dr-browser", scheduledStart: new Date().toISOString() } })).json();
      if (patientId === "pt-cls-2") {
        const p = s.participants.find((x: { role: string }) => x.role === "patient");
        const { token: joinToken } = (await rig.app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${p.id}/join-token`, token })).json();
        await rig.app.request({ method: "POST", url: "/v1/join/validate", body: { token: joinToken } });
      }
    }
  });
  afterAll(() => rig?.close());

  const settledConsole = async (width: number, height: number): Promise<Page> => {
    const page = await rig.page(await rig.context());
    await page.setViewportSize({ width, height });
    await page.addInitScript(recordShifts);
    await page.goto(`${rig.base}/console?tenant=${TENANT}#token=${await rig.staffToken()}`);
    // Everything that arrives late has arrived: the rows, the names, the waiting board.
    await page.locator("[data-testid=row-patient]", { hasText: "Lucía Fernández Ruiz" }).first().waitFor();
    await page.locator("tr[data-waiting='1']").waitFor();
    await page.getByTestId("waiting-count").waitFor();
    return page;
  };
  const cls = (page: Page) =>
    page.evaluate(() => {
      const w = window as unknown as { __cls: number; __shifts: unknown[] };
      return { cls: w.__cls, shifts: w.__shifts };
    });

  for (const [width, height] of [[1440, 900], [390, 844]] as const) {
    it(`at ${width}×${height}, the visit list's layout shift stays below 0.1 and its checkboxes are large enough to hit`, async () => {
      const page = await settledConsole(width, height);
      const measured = await cls(page);
      await rig.screenshot(page, `console-visits-settled-${width}`);
      expect(measured.cls, JSON.stringify(measured)).toBeLessThan(0.1);
      // The status filters are targets a finger or an unsteady hand can hit: 24 px boxes in 44 px rows (not 13×13).
      const box = (await page.getByRole("checkbox", { name: "scheduled" }).boundingBox())!;
      expect(Math.min(box.width, box.height)).toBeGreaterThanOrEqual(24);
      const row = (await page.locator("label", { hasText: "scheduled" }).boundingBox())!;
      expect(row.height).toBeGreaterThanOrEqual(44);
    }, 60_000);
  }
});
