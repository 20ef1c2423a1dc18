import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patientVisit, startRig, type Rig } from "../support/browser.js";
import { sql } from "../support/join.js";
import { samples } from "../support/multipart.js";

/** Spec flow 4.3 from the patient's phone: a slow link is measured, the visit falls back to writing. */
describe("Browser: poor connection → written visit", () => {
  let rig: Rig;
  let token: string;
  beforeAll(async () => {
    rig = await startRig();
    token = await rig.staffToken();
  });
  afterAll(() => rig?.close());

  const visit = async (patientId: string) => {
    const { sessionId, joinUrl } = await patientVisit(rig, token, patientId);
    return { id: sessionId, joinUrl };
  };

  /** Chrome's own throttling (DevTools protocol): downloads at 100 kbit/s, below the default 150. */
  const throttle = async (ctx: BrowserContext, page: Page) => {
    const cdp = await ctx.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 40, downloadThroughput: 100_000 / 8, uploadThroughput: -1 });
  };

  it("when the patient's measured bandwidth is below the tenant's threshold, then the page offers the written form, and what they send with a photo shows in the clinician's inbox", async () => {
    const v = await visit("patient-slow");
    const patientCtx = await rig.context();
    const patient = await rig.page(patientCtx);
    // The page itself loads at full speed; only the network check runs throttled.
    await patient.goto(v.joinUrl);
    await patient.getByRole("heading", { name: "Before your visit" }).waitFor();
    await patient.getByTestId("network-figures").waitFor();
    // Throttled now, the patient tests again: too slow for video, and they choose the written visit.
    await throttle(patientCtx, patient);
    await patient.getByRole("button", { name: "Test again" }).click();
    await patient.locator("[data-testid=network][data-verdict=slow]").waitFor({ timeout: 30_000 });
    await patient.getByRole("button", { name: "Continue with a written visit" }).click();
    await patient.getByRole("heading", { name: "Send your question in writing" }).waitFor({ timeout: 30_000 });
    expect(await rig.axe(patient)).toEqual([]);
    await rig.screenshot(patient, "patient-fallback");
    const session = (await rig.app.request({ method: "GET", url: `/v1/sessions/${v.id}`, token })).json();
    expect(session.status).toBe("fallback");
    expect(session.fallback.measuredKbps).toBeLessThan(150);
    // The check that moved the visit is the patient's recorded pre-call result.
    expect(session.participants[0]).toMatchObject({ role: "patient", precallKbps: session.fallback.measuredKbps, precallBelowThreshold: true });

    await patient.getByLabel("Your message").fill("My knee is still swollen after three days.");
    await patient.getByLabel("Take a photo").setInputFiles({ name: "knee.png", mimeType: "image/png", buffer: Buffer.from(samples.png) });
    await patient.getByRole("button", { name: "Send" }).click();
    await patient.getByText("Thank you: your clinician has received your message.").waitFor({ timeout: 30_000 });
    await rig.screenshot(patient, "patient-fallback-sent");

    const clinicianCtx = await rig.context();
    const console_ = await rig.page(clinicianCtx);
    await console_.goto(`${rig.base}/console?tenant=browser-clinic#token=${token}`);
    await console_.getByRole("button", { name: "Written visits" }).click();
    const card = console_.locator("article", { hasText: "My knee is still swollen" });
    await card.waitFor();
    expect(await card.getByRole("button", { name: /knee\.png/ }).count()).toBe(1);
    expect(await rig.axe(console_)).toEqual([]);
    await rig.screenshot(console_, "console-inbox");
    await card.getByRole("button", { name: "Mark reviewed" }).click();
    await card.waitFor({ state: "detached" });

    // The visit's page says why: the patient's measured check, below the clinic's minimum, in words.
    await console_.getByRole("button", { name: "Today's visits" }).click();
    await console_.locator(`tr[data-session="${v.id}"]`).getByRole("button", { name: "Open patient-slow" }).click();
    const precall = console_.locator("[data-participant] [data-testid=precall]").filter({ hasText: "kbit/s" });
    await precall.waitFor();
    expect(await precall.textContent()).toMatch(
      new RegExp(`^Connection check: ${Math.round(session.fallback.measuredKbps)} kbit/s at .+ — below the clinic's minimum for video$`),
    );
    expect(await precall.getAttribute("data-below")).toBe("true");
    // A visit in fallback admits nobody (409): the console offers no Admit button.
    expect(await console_.getByRole("button", { name: "Admit" }).count()).toBe(0);
    expect(await rig.axe(console_)).toEqual([]);
    await rig.screenshot(console_, "console-visit-precall-low");
    expect(clinicianCtx.cspViolations).toEqual([]);
    expect(patientCtx.cspViolations).toEqual([]);
  }, 90_000);

  it("when the network drops while sending, then the message waits on the phone and, back online, is stored exactly once", async () => {
    const v = await visit("patient-offline");
    await rig.app.request({ method: "POST", url: `/v1/sessions/${v.id}/fallback`, token, body: { reason: "poor connection" } });
    const ctx = await rig.context();
    const patient = await rig.page(ctx);
    await patient.goto(v.joinUrl);
    await patient.getByRole("heading", { name: "Send your question in writing" }).waitFor();
    await patient.getByLabel("Your message").fill("Sent from a train.");
    await ctx.setOffline(true);
    await patient.getByRole("button", { name: "Send" }).click();
    await patient.getByText(/You are offline/).waitFor();
    await rig.screenshot(patient, "patient-fallback-queued");
    expect(await sql(rig.app, "select id from async_visits where session_id = $1", [v.id])).toEqual([]);
    await ctx.setOffline(false);
    await patient.getByText("Thank you: your clinician has received your message.").waitFor({ timeout: 30_000 });
    expect(await sql(rig.app, "select id from async_visits where session_id = $1", [v.id])).toHaveLength(1);
  }, 90_000);

  it("when the service stored the message but the answer was lost, then the resend with the same Idempotency-Key stores nothing more", async () => {
    const v = await visit("patient-lost-answer");
    await rig.app.request({ method: "POST", url: `/v1/sessions/${v.id}/fallback`, token, body: { reason: "poor connection" } });
    const ctx = await rig.context();
    const patient = await rig.page(ctx);
    const keys: string[] = [];
    await patient.route("**/v1/async-visits", async (route) => {
      keys.push(route.request().headers()["idempotency-key"] ?? "");
      // The first one reaches the service and is stored; the phone never hears back.
      if (keys.length === 1) {
        await route.fetch();
        return route.abort("connectionreset");
      }
      return route.continue();
    });
    await patient.goto(v.joinUrl);
    await patient.getByLabel("Your message").fill("Did this arrive?");
    await patient.getByRole("button", { name: "Send" }).click();
    await patient.getByText(/You are offline/).waitFor();
    expect(await sql(rig.app, "select id from async_visits where session_id = $1", [v.id])).toHaveLength(1);
    // Coming back online is what makes the queue resend.
    await ctx.setOffline(true);
    await ctx.setOffline(false);
    await patient.getByText("Thank you: your clinician has received your message.").waitFor({ timeout: 30_000 });
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(await sql(rig.app, "select id from async_visits where session_id = $1", [v.id])).toHaveLength(1);
  }, 90_000);
});
