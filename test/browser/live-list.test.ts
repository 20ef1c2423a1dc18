import { SignJWT } from "jose";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patientVisit, startRig, TENANT, type Rig } from "../support/browser.js";

/** Records what the console asks of the browser: notifications shown, permission requests, chime tones. */
const recordAlerts = () => {
  const w = window as unknown as Record<string, unknown>;
  w.__notes = [];
  w.__asked = 0;
  w.__tones = 0;
  const Real = window.Notification;
  class Recording extends Real {
    constructor(title: string, options?: NotificationOptions) {
      super(title, options);
      (w.__notes as unknown[]).push({ title, body: options?.body });
    }
    static override requestPermission(): Promise<NotificationPermission> {
      w.__asked = (w.__asked as number) + 1;
      return Real.requestPermission();
    }
  }
  w.Notification = Recording;
  const createOscillator = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function (this: AudioContext) {
    w.__tones = (w.__tones as number) + 1;
    return createOscillator.call(this);
  };
};

describe("Browser: the console's list is told, live, when a patient arrives", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  const desktop = async (): Promise<{ ctx: BrowserContext; page: Page }> => {
    const ctx = await rig.context();
    const page = await rig.page(ctx);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.addInitScript(recordAlerts);
    return { ctx, page };
  };

  const visitWithLink = async (patientId: string) => patientVisit(rig, await rig.staffToken(), patientId);

  it("when a patient checks in, then within 2 s the visit's row shows them waiting, the tab title counts them, and a chime, a notification and an announcement tell the clinician", async () => {
    const visit = await visitWithLink("patient-live-1");
    const { ctx, page: console_ } = await desktop();
    await ctx.grantPermissions(["notifications"], { origin: rig.base });
    await console_.goto(`${rig.base}/console?tenant=${TENANT}#token=${await rig.staffToken()}`);
    const row = console_.locator(`tr[data-session="${visit.sessionId}"]`);
    await row.waitFor();
    expect(await row.getAttribute("data-waiting")).toBe("0");
    expect(await console_.title()).toBe("Today's visits – Clinician console");
    // Permission granted already: nothing to ask.
    expect(await console_.getByRole("button", { name: "Turn on desktop alerts" }).count()).toBe(0);
    // Any first click unlocks the chime (browsers play sound only after a gesture).
    await console_.getByRole("heading", { name: "Today's visits" }).click();

    const patient = await rig.page(await rig.context());
    await patient.goto(visit.joinUrl);
    await patient.getByRole("button", { name: "Continue to the waiting room" }).click();
    await patient.getByRole("heading", { name: "Waiting room" }).waitFor();
    // Checked in: the clinician's list shows it within 2 s (pushed, not polled).
    await row.locator("[data-testid=row-status]", { hasText: /^1 waiting since \d\d:\d\d/ }).waitFor({ timeout: 2_000 });
    expect(await row.getAttribute("data-waiting")).toBe("1");
    expect(await console_.title()).toBe("(1) Today's visits – Clinician console");
    expect(await console_.getByTestId("waiting-count").textContent()).toBe("1 waiting");
    const alerts = await console_.evaluate(() => {
      const w = window as unknown as { __notes: Array<{ title: string; body: string }>; __tones: number };
      return { notes: w.__notes, tones: w.__tones };
    });
    expect(alerts.notes).toEqual([{ title: "Patient waiting", body: expect.stringMatching(/^A patient is waiting \(since \d\d:\d\d( [AP]M)?\)\.$/) }]);
    expect(alerts.tones).toBeGreaterThan(0);
    expect(await console_.getByTestId("console-announcer").textContent()).toMatch(/^A patient is waiting/);
    expect(await rig.axe(console_)).toEqual([]);
    await rig.screenshot(console_, "console-visits-waiting-1440");

    // Admitted from the visit: back on the list, nobody waits and the count leaves the title.
    await row.getByRole("button", { name: "Open" }).click();
    await console_.locator("[data-status=waiting]").getByRole("button", { name: "Admit" }).click();
    // The change is said once through the console's live region, and focus stays in the waiting room.
    await console_.getByTestId("console-announcer").filter({ hasText: /: admitted$/ }).waitFor();
    await expect.poll(() => console_.evaluate(() => document.activeElement?.textContent)).toBe("Waiting room");
    await console_.getByRole("button", { name: "← Today's visits" }).click();
    await console_.locator(`tr[data-session="${visit.sessionId}"][data-waiting="0"]`).waitFor();
    await console_.waitForFunction(() => document.title === "Today's visits – Clinician console");
    expect(await row.getByTestId("row-status").textContent()).toBe("in progress");

    // The title names the screen in the page's language.
    await console_.getByLabel("Language").selectOption("es");
    await console_.waitForFunction(() => document.title === "Consultas de hoy – Consola clínica");
  }, 90_000);

  it("when desktop alerts were never decided, then the list offers them once, asks on the click, and does not offer them again", async () => {
    const { page } = await desktop();
    await page.goto(`${rig.base}/console?tenant=${TENANT}#token=${await rig.staffToken()}`);
    const offer = page.getByRole("button", { name: "Turn on desktop alerts" });
    await offer.waitFor();
    await rig.screenshot(page, "console-visits-alerts-offer-1440");
    await offer.click();
    await offer.waitFor({ state: "detached" });
    expect(await page.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(1);
    await page.reload();
    await page.getByRole("heading", { name: "Today's visits" }).waitFor();
    expect(await offer.count()).toBe(0);
  }, 60_000);

  it("when the service refuses the sign-in (401), then the console stops its streams and shows the sign-in again with the reason", async () => {
    const { page } = await desktop();
    // A token whose claims look fine to the page but whose signature the service refuses.
    const forged = await new SignJWT({ tenant_id: TENANT, roles: ["clinician"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("dr-forged")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not-the-service-secret-0123456789abcdef"));
    const streamRequests: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/v1/sessions/events") streamRequests.push(r.url());
    });
    await page.goto(`${rig.base}/console?tenant=${TENANT}#token=${forged}`);
    await page.getByTestId("sign-in-reason").waitFor();
    expect(await page.getByTestId("sign-in-reason").textContent()).toBe("Your sign-in has ended. Please sign in again.");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.title()).toBe("Sign in – Clinician console");
    expect(streamRequests).toHaveLength(1);
    expect(await page.evaluate(() => sessionStorage.getItem("vcs.staff-token"))).toBeNull();
  }, 60_000);
});
