import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyVideoUrl } from "../support/join.js";
import { patientVisit, startRig, TENANT, VIDEO_DOMAIN, videoJoined, videoJoins, type Rig } from "../support/browser.js";

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
    expect(csp).toContain(`frame-src https://${VIDEO_DOMAIN};`);
    // The video domain is a tenant setting: it is framed in its own origin, never run as script in ours.
    expect(csp).toContain("script-src 'self';");
    expect(pageAnswer!.headers()["cache-control"]).toBe("no-store");
    await patient.getByRole("heading", { name: "Before your visit" }).waitFor();
    // The verdict in words; the figures (down and up) are the small print.
    const figures = patient.getByTestId("network-figures");
    await figures.waitFor();
    const measured = Math.min(Number(await figures.getAttribute("data-down")), Number(await figures.getAttribute("data-up")));
    expect(await patient.getByTestId("network").textContent()).toBe("Your connection is good for video.");
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

    const first = await videoJoined(patient);
    const session = (await rig.app.request({ method: "GET", url: `/v1/sessions/${sessionId}`, token })).json();
    expect(first.roomName).toBe(session.video.roomName);
    const link = await verifyVideoUrl(first.url, { domain: VIDEO_DOMAIN, at: new Date() });
    expect(link.payload.context?.user?.moderator).toBe(false);
    // Jitsi's own pre-join screen is off (ours replaced it); the name Jitsi shows is the signed one.
    expect(first.hash).toMatchObject({ "config.prejoinConfig.enabled": false, "config.prejoinPageEnabled": false, "config.defaultLanguage": "en", "userInfo.displayName": link.payload.context?.user?.name });
    await rig.screenshot(patient, "patient-video");

    // A reload goes straight back into the room: no second admission.
    await patient.reload();
    const again = await videoJoined(patient);
    expect(again.roomName).toBe(session.video.roomName);
    const admits = await rig.app.request({ method: "GET", url: `/v1/sessions/${sessionId}`, token });
    expect(admits.json().version).toBe(session.version);

    // The clinician joins the same room as moderator.
    await console_.getByRole("button", { name: "Join video" }).click();
    const own = await videoJoined(console_);
    expect(videoJoins(console_)).toHaveLength(1);
    expect(own.roomName).toBe(session.video.roomName);
    expect((await verifyVideoUrl(own.url, { domain: VIDEO_DOMAIN, at: new Date() })).payload.context?.user?.moderator).toBe(true);

    expect(patientCtx.cspViolations).toEqual([]);
    expect(clinicianCtx.cspViolations).toEqual([]);
  }, 90_000);

  it("when the clinician removes or the visit is cancelled while the patient waits, then the waiting page changes to that screen by itself", async () => {
    const token = await rig.staffToken();
    const waitingPatient = async (patientId: string) => {
      const { sessionId, participantId, joinUrl } = await patientVisit(rig, token, patientId);
      const page = await rig.page(await rig.context());
      await page.goto(joinUrl);
      await page.getByRole("button", { name: "Continue to the waiting room" }).click();
      await page.getByRole("heading", { name: "Waiting room" }).waitFor();
      return { page, sessionId, participantId };
    };
    const removed = await waitingPatient("patient-removed-live");
    await rig.app.request({ method: "DELETE", url: `/v1/sessions/${removed.sessionId}/participants/${removed.participantId}`, token });
    await removed.page.locator("[data-screen=refused-removed]").waitFor();
    const cancelled = await waitingPatient("patient-cancelled-live");
    await rig.app.request({ method: "POST", url: `/v1/sessions/${cancelled.sessionId}/cancel`, token, body: { reason: "clinician unwell" } });
    await cancelled.page.locator("[data-screen=refused-cancelled]").waitFor();
  }, 90_000);
});
