import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../support/app.js";
import { patientVisit, startRig, TENANT, type Rig } from "../support/browser.js";

const TTL_SECONDS = 300;

/** Issue 19 item 7: an expired link offers "ask for a new link"; the console's notice sends one. */
describe("Browser: asking for a new link, and the clinic sending it", () => {
  const clock = new ManualClock(new Date());
  let rig: Rig;
  let staff: string;
  beforeAll(async () => {
    rig = await startRig({ clock, tenant: { joinTokenTtlSeconds: TTL_SECONDS } });
    staff = await rig.staffToken();
  });
  afterAll(() => rig?.close());

  const visitWithLink = (patientId: string) => patientVisit(rig, staff, patientId);
  const askOnExpiredScreen = async (page: Page, joinUrl: string) => {
    await page.goto(joinUrl);
    await page.locator("[data-screen=refused-expired]").waitFor();
    await page.getByRole("button", { name: "Ask for a new link" }).click();
    await page.getByTestId("new-link-sent").waitFor();
  };
  const told = "The clinic has been told that you need a new link. They will send it to you the usual way.";

  it("when a patient with an expired link asks, then the page says the clinic was told (the same for a cancelled visit), and the console's notice sends a new link that works", async () => {
    const asking = await visitWithLink("patient-newlink-1");
    const cancelled = await visitWithLink("patient-newlink-2");
    expect((await rig.app.request({ method: "POST", url: `/v1/sessions/${cancelled.sessionId}/cancel`, token: staff, body: { reason: "rescheduled" } })).statusCode).toBe(200);
    clock.advance((TTL_SECONDS + 1) * 1000);

    const patientCtx = await rig.context();
    const patient = await rig.page(patientCtx);
    // The cancelled visit's link is expired too: its holder sees the expired screen and the very same answer.
    await askOnExpiredScreen(patient, cancelled.joinUrl);
    expect(await patient.getByTestId("new-link-sent").textContent()).toBe(told);

    await askOnExpiredScreen(patient, asking.joinUrl);
    expect(await patient.getByTestId("new-link-sent").textContent()).toBe(told);
    // Said in the live region; focus on the words that replaced the button, not the page's body.
    await patient.getByTestId("announcer").filter({ hasText: told }).waitFor();
    expect(await patient.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("new-link-sent");
    expect(await rig.axe(patient)).toEqual([]);
    for (const [width, height] of [[390, 844], [1440, 900]] as const) {
      await patient.setViewportSize({ width, height });
      await rig.screenshot(patient, `patient-new-link-asked-${width}x${height}`);
    }
    expect(patientCtx.cspViolations).toEqual([]);

    // The clinician's console: the notice lists the patient who asked (not the cancelled visit's).
    const consoleCtx = await rig.context();
    const console_ = await rig.page(consoleCtx);
    await console_.setViewportSize({ width: 1440, height: 900 });
    await console_.goto(`${rig.base}/console?tenant=${TENANT}#token=${staff}`);
    const notice = console_.getByTestId("link-requests");
    await notice.getByRole("heading", { name: "Patients asking for a new link (1)" }).waitFor();
    expect(await notice.locator("li").count()).toBe(1);
    expect(await notice.locator("li").textContent()).toContain("patient-newlink-1");
    expect(await rig.axe(console_)).toEqual([]);
    await rig.screenshot(console_, "console-link-requests-1440x900");

    await notice.getByRole("button", { name: "Send a new link" }).click();
    const field = console_.getByTestId("new-join-link");
    await field.waitFor();
    const newLink = await field.inputValue();
    expect(newLink).toMatch(/\/join\?token=/);
    expect(newLink).not.toBe(asking.joinUrl);
    // The row and its button are gone: focus is on the new link, announced in the live region.
    expect(await console_.evaluate(() => document.activeElement?.id)).toBe("new-join-link");
    await console_.getByTestId("console-announcer").filter({ hasText: "New link for patient-newlink-1" }).waitFor();
    expect(await notice.locator("li").count()).toBe(0);
    expect(await rig.axe(console_)).toEqual([]);
    await rig.screenshot(console_, "console-link-requests-sent-1440x900");
    await console_.setViewportSize({ width: 390, height: 844 });
    await rig.screenshot(console_, "console-link-requests-sent-390x844");
    expect((await rig.app.request({ method: "GET", url: "/v1/link-requests", token: staff })).json().items).toEqual([]);

    // The new link opens the visit: the device check, not a refusal.
    await patient.goto(newLink);
    await patient.locator("[data-screen=precall]").waitFor();
    expect(consoleCtx.cspViolations).toEqual([]);
  }, 120_000);

  it("when the page is in Spanish, then the button and the answer are in Spanish", async () => {
    const visit = await visitWithLink("patient-newlink-3");
    clock.advance((TTL_SECONDS + 1) * 1000);
    const page = await rig.page(await rig.context());
    await page.addInitScript(() => localStorage.setItem("lang", "es"));
    await page.goto(visit.joinUrl);
    await page.locator("[data-screen=refused-expired]").waitFor();
    await page.getByRole("button", { name: "Pedir un enlace nuevo" }).click();
    expect(await page.getByTestId("new-link-sent").textContent()).toBe("La clínica sabe que necesita un enlace nuevo. Se lo enviará por la vía habitual.");
  }, 60_000);

  it("when the clinician dismisses the last request, then it is closed without a link and focus stays on the notice's heading", async () => {
    const visit = await visitWithLink("patient-newlink-4");
    clock.advance((TTL_SECONDS + 1) * 1000);
    const patient = await rig.page(await rig.context());
    await askOnExpiredScreen(patient, visit.joinUrl);
    const console_ = await rig.page(await rig.context());
    await console_.goto(`${rig.base}/console?tenant=${TENANT}#token=${await rig.staffToken()}`);
    const notice = console_.getByTestId("link-requests");
    // Every open request, this one included (earlier cases left theirs open), one by one.
    await notice.locator("li").first().waitFor();
    for (let left = await notice.locator("li").count(); left > 0; left--) {
      await notice.getByRole("button", { name: "Dismiss" }).first().click();
      await expect.poll(() => notice.locator("li").count()).toBe(left - 1);
      expect(await console_.evaluate(() => document.activeElement?.id)).toBe("link-requests-title");
    }
    await notice.getByRole("heading", { name: "Requests for a new link" }).waitFor();
    expect(await console_.evaluate(() => document.activeElement?.id)).toBe("link-requests-title");
    expect(await notice.locator("li").count()).toBe(0);
    expect(await rig.axe(console_)).toEqual([]);
    await rig.screenshot(console_, "console-link-requests-dismissed-390x844");
    expect((await rig.app.request({ method: "GET", url: "/v1/link-requests", token: staff })).json().items).toEqual([]);
  }, 60_000);
});
