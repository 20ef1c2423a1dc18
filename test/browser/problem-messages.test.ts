import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, TENANT, type Rig } from "../support/browser.js";

/**
 * Refusals the console shows are its own translated words for the problem's `code`, never the
 * service's English `detail` (issue 19 item 10): here, settings saved over someone else's change.
 */
describe("Browser: refusals shown by their problem code", () => {
  let rig: Rig;
  let token: string;
  beforeAll(async () => {
    rig = await startRig();
    token = await rig.staffToken();
  });
  afterAll(() => rig?.close());

  it("when an admin saves settings someone else changed meanwhile, then the console says so in its own words, in Spanish too, without the server's detail", async () => {
    const ctx = await rig.context();
    const page = await rig.page(ctx);
    await page.goto(`${rig.base}/console?tenant=${TENANT}#token=${token}`);
    await page.getByRole("button", { name: "Settings" }).click();
    const threshold = page.getByLabel("Below this speed, offer the written visit (kbit/s)");
    await threshold.waitFor();
    // Another admin saves first: the version this page read is no longer current.
    const current = (await rig.app.request({ method: "GET", url: "/v1/tenant-config", token })).json();
    const change = { ...current, licensed: undefined, videoBackends: current.videoBackends.map(({ secret: _s, ...b }: Record<string, unknown>) => b), maxParticipants: 7 };
    expect((await rig.app.request({ method: "PUT", url: "/v1/tenant-config", token, body: change })).statusCode).toBe(200);
    // The same stale save through the API: the English detail the page must not show.
    const conflict = (await rig.app.request({ method: "PUT", url: "/v1/tenant-config", token, body: change })).json();
    expect(conflict.code).toBe("OPTIMISTIC_LOCK_CONFLICT");
    const detail: string = conflict.detail;

    await threshold.fill("300");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Someone changed this visit at the same time. Try again.").waitFor();
    expect(await page.content()).not.toContain(detail);

    await page.getByRole("combobox", { name: /language|idioma/i }).selectOption("es");
    await page.getByRole("button", { name: /Guardar/ }).click();
    await page.getByText("Otra persona cambió esta consulta a la vez. Inténtelo de nuevo.").waitFor();
    await rig.screenshot(page, "console-settings-conflict");
  }, 90_000);
});
