import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyVideoUrl } from "../support/join.js";
import { startRig, TENANT, VIDEO_DOMAIN, type Rig } from "../support/browser.js";

/** What the fake external_api.js recorded, as a video URL the test support can verify. */
async function recordedVideo(page: Page): Promise<{ url: string; roomName: string }> {
  await page.locator("iframe[data-fake-jitsi]").waitFor();
  const calls = await page.evaluate(() => (window as unknown as { __jitsi: Array<{ domain: string; roomName: string; jwt: string }> }).__jitsi);
  expect(calls).toHaveLength(1);
  const c = calls[0]!;
  return { url: `https://${c.domain}/${encodeURIComponent(c.roomName)}?jwt=${c.jwt}`, roomName: c.roomName };
}

describe("Browser: join → pre-call → waiting room → admitted by the clinician → video", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  it("when the clinician admits the waiting patient in the console, then the patient's page opens the visit's room with a JWT that verifies, and a reload rejoins", async () => {
    const clinicianCtx = await rig.context();
    const patientCtx = await rig.context();
    const console_ = await rig.page(clinicianCtx);
    const token = await rig.staffToken();

    // The one-click dev sign-in: token in the fragment, tenant in the query.
    await console_.goto(`${rig.base}/console?tenant=${TENANT}#token=${token}`);
    await console_.getByRole("heading", { name: "Today's visits" }).waitFor();
    expect(console_.url()).not.toContain("token=");
    expect(await rig.axe(console_)).toEqual([]);
    await rig.screenshot(console_, "console-visits");
    await console_.getByLabel("Patient id").fill("patient-browser-1");
    await console_.getByRole("button", { name: "Create visit" }).click();
    await console_.getByRole("button", { name: "Copy join link" }).click();
    const joinUrl = await console_.getByTestId("join-link").inputValue();
    expect(joinUrl).toMatch(new RegExp(`^${rig.base}/join\\?token=`));
    const sessionId = (await console_.locator("[data-session-id]").getAttribute("data-session-id"))!;
    expect(await rig.axe(console_)).toEqual([]);
    await rig.screenshot(console_, "console-visit");

    const patient = await rig.page(patientCtx);
    const pageAnswer = await patient.goto(joinUrl);
    const csp = pageAnswer!.headers()["content-security-policy"]!;
    expect(csp).toContain(`frame-src https://${VIDEO_DOMAIN}`);
    expect(csp).toContain(`script-src 'self' https://${VIDEO_DOMAIN}`);
    expect(pageAnswer!.headers()["cache-control"]).toBe("no-store");
    await patient.getByRole("heading", { name: "Before your visit" }).waitFor();
    const speed = patient.getByText(/Your connection: \d+ kbit\/s/);
    await speed.waitFor();
    const measured = (await speed.textContent())!.match(/(\d+) kbit/)![1];
    expect(await rig.axe(patient)).toEqual([]);
    await rig.screenshot(patient, "patient-precall");
    await patient.getByRole("button", { name: "Continue to the waiting room" }).click();
    await patient.getByRole("heading", { name: "Waiting room" }).waitFor();
    expect(await rig.axe(patient)).toEqual([]);
    await rig.screenshot(patient, "patient-waiting");

    // The console's waiting room was pushed the patient's arrival.
    const waiting = console_.locator("[data-status=waiting]");
    await waiting.waitFor();
    // …with the pre-call check the patient's browser measured: the same figure, and the verdict in words.
    const precall = waiting.getByTestId("precall").filter({ hasText: `${measured} kbit/s` });
    await precall.waitFor();
    expect(await precall.textContent()).toMatch(new RegExp(`^Connection check: ${measured} kbit/s at .+ — enough for video$`));
    expect(await precall.getAttribute("data-below")).toBe("false");
    await waiting.getByRole("button", { name: "Admit" }).click();

    const first = await recordedVideo(patient);
    const session = (await rig.app.request({ method: "GET", url: `/v1/sessions/${sessionId}`, token })).json();
    expect(first.roomName).toBe(session.video.roomName);
    const link = await verifyVideoUrl(first.url, { domain: VIDEO_DOMAIN, at: new Date() });
    expect(link.payload.context?.user?.moderator).toBe(false);
    expect(await patient.locator("iframe[data-fake-jitsi]").getAttribute("src")).toBe(`https://${VIDEO_DOMAIN}/${session.video.roomName}`);
    await rig.screenshot(patient, "patient-video");

    // A reload goes straight back into the room: no second admission.
    await patient.reload();
    const again = await recordedVideo(patient);
    expect(again.roomName).toBe(session.video.roomName);
    const admits = await rig.app.request({ method: "GET", url: `/v1/sessions/${sessionId}`, token });
    expect(admits.json().version).toBe(session.version);

    // The clinician joins the same room as moderator.
    await console_.getByRole("button", { name: "Join video" }).click();
    const own = await recordedVideo(console_);
    expect(own.roomName).toBe(session.video.roomName);
    expect((await verifyVideoUrl(own.url, { domain: VIDEO_DOMAIN, at: new Date() })).payload.context?.user?.moderator).toBe(true);

    expect(patientCtx.cspViolations).toEqual([]);
    expect(clinicianCtx.cspViolations).toEqual([]);
  }, 90_000);

  it("when the clinician removes or the visit is cancelled while the patient waits, then the waiting page changes to that screen by itself", async () => {
    const token = await rig.staffToken();
    const waitingPatient = async (patientId: string) => {
      const s = (await rig.app.request({ method: "POST", url: "/v1/sessions", token, body: { patientId, providerId: "dr-browser", scheduledStart: new Date().toISOString() } })).json();
      const p = s.participants.find((x: { role: string }) => x.role === "patient");
      const { joinUrl } = (await rig.app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${p.id}/join-token`, token })).json();
      const page = await rig.page(await rig.context());
      await page.goto(joinUrl);
      await page.getByRole("button", { name: "Continue to the waiting room" }).click();
      await page.getByRole("heading", { name: "Waiting room" }).waitFor();
      return { page, sessionId: s.id as string, participantId: p.id as string };
    };
    const removed = await waitingPatient("patient-removed-live");
    await rig.app.request({ method: "DELETE", url: `/v1/sessions/${removed.sessionId}/participants/${removed.participantId}`, token });
    await removed.page.locator("[data-screen=refused-removed]").waitFor();
    const cancelled = await waitingPatient("patient-cancelled-live");
    await rig.app.request({ method: "POST", url: `/v1/sessions/${cancelled.sessionId}/cancel`, token, body: { reason: "clinician unwell" } });
    await cancelled.page.locator("[data-screen=refused-cancelled]").waitFor();
  }, 90_000);
});
