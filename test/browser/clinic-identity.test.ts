import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../support/app.js";
import { patientVisit, startRig, VIDEO_DOMAIN, type Rig } from "../support/browser.js";

/** Issue 19 item 7: the clinic's name and contact on the join page, the waiting room and every refusal screen. */
describe("Browser: the clinic's identity and a way out", () => {
  const clock = new ManualClock(new Date());
  const branding = {
    displayName: "Riverside Clinic",
    logoUrl: `https://${VIDEO_DOMAIN}/logo.png`,
    accentColor: "#1a7f37",
    contactPhone: "+1 555 0100",
    contactUrl: "https://riverside.example/contact",
  };
  let rig: Rig;
  let staff: string;
  beforeAll(async () => {
    rig = await startRig({ clock, tenant: { branding } });
    staff = await rig.staffToken();
  });
  afterAll(() => rig?.close());

  const joinUrl = async (patientId: string) => (await patientVisit(rig, staff, patientId)).joinUrl;

  it("when the tenant sets its identity, then the join page and the waiting room show its name and contact", async () => {
    const ctx = await rig.context();
    const page = await rig.page(ctx);
    await page.goto(await joinUrl("patient-brand-1"));
    await page.locator("[data-screen=precall]").waitFor();
    expect(await page.getByTestId("clinic-name").textContent()).toBe("Riverside Clinic");
    await page.getByTestId("network-figures").waitFor();
    for (const [width, height] of [[390, 844], [1440, 900]] as const) {
      await page.setViewportSize({ width, height });
      await rig.screenshot(page, `patient-precall-branded-${width}x${height}`);
    }
    await page.getByRole("button", { name: "Continue to the waiting room" }).click();
    await page.locator("[data-screen=waiting]").waitFor();
    const contact = page.getByTestId("clinic-contact");
    expect(await contact.textContent()).toContain("Questions? Contact Riverside Clinic:");
    expect(await contact.getByRole("link", { name: "+1 555 0100" }).getAttribute("href")).toBe("tel:+15550100");
    expect(await rig.axe(page)).toEqual([]);
    await rig.screenshot(page, "patient-waiting-branded");
    expect(ctx.cspViolations).toEqual([]);
  }, 90_000);

  it("when the link has expired, then the refusal screen names the clinic and how to reach it; an invalid link says nothing is known", async () => {
    const url = await joinUrl("patient-brand-2");
    clock.advance(3601_000);
    const page = await rig.page(await rig.context());
    await page.goto(url);
    await page.locator("[data-screen=refused-expired]").waitFor();
    const contact = page.getByTestId("clinic-contact");
    await contact.getByRole("link", { name: "Clinic web page" }).waitFor();
    expect(await contact.getByRole("link", { name: "Clinic web page" }).getAttribute("href")).toBe(branding.contactUrl);
    expect(await page.getByTestId("clinic-name").textContent()).toBe("Riverside Clinic");
    expect(await rig.axe(page)).toEqual([]);
    await rig.screenshot(page, "patient-refused-expired-branded");

    await page.goto(`${rig.base}/join?token=not-a-token`);
    await page.locator("[data-screen=refused-invalid]").waitFor();
    expect(await page.getByTestId("clinic-contact").textContent()).toContain("We cannot tell which clinic this link is from");
    expect(await page.getByText("Riverside Clinic").count()).toBe(0);
  }, 90_000);

  it("when an admin sets a logo that is not https or a colour that is not #rrggbb, then the config is refused field by field", async () => {
    const current = (await rig.app.request({ method: "GET", url: "/v1/tenant-config", token: staff })).json();
    expect(current.branding).toEqual(branding);
    const { tenantId: _t, version: _v, licensed: _l, ...body } = current;
    const put = (patch: Record<string, string>) =>
      rig.app.request({ method: "PUT", url: "/v1/tenant-config", token: staff, body: { ...body, branding: { ...branding, ...patch } } });
    const http = await put({ logoUrl: "http://riverside.example/logo.png" });
    expect(http.statusCode).toBe(400);
    expect(http.json()).toMatchObject({ code: "VALIDATION_FAILED", errors: [{ path: "/branding/logoUrl" }] });
    const colour = await put({ accentColor: "green" });
    expect(colour.statusCode).toBe(400);
    expect(JSON.stringify(colour.json().errors)).toContain("/branding/accentColor");
    // Nothing was saved.
    expect((await rig.app.request({ method: "GET", url: "/v1/tenant-config", token: staff })).json().branding).toEqual(branding);
  });
});
