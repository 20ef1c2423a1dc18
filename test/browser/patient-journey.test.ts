import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../support/app.js";
import { patientVisit, startRig, videoJoined, type Rig } from "../support/browser.js";

/**
 * Issue 19 items 3, 2 and 9: the patient checks in only when they press Continue, a reload keeps
 * them where they were with the time waited from the server, and the end, cancel or removal of
 * the visit reaches them in the video.
 */
describe("Browser: the patient's journey from the link to the end of the visit", () => {
  const clock = new ManualClock(new Date());
  let rig: Rig;
  let staff: string;
  beforeAll(async () => {
    rig = await startRig({ clock });
    staff = await rig.staffToken();
  });
  afterAll(() => rig?.close());

  const call = async (method: "GET" | "POST" | "DELETE", url: string, body?: unknown) => {
    const res = await rig.app.request({ method, url, token: staff, body });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };
  const newVisit = (patientId: string) => patientVisit(rig, staff, patientId);
  const patientStatus = async (sessionId: string) =>
    ((await call("GET", `/v1/sessions/${sessionId}`)).participants as Array<{ role: string; status: string }>).find((p) => p.role === "patient")!.status;
  const checkIn = async (page: Page) => {
    await page.getByRole("button", { name: "Continue to the waiting room" }).click();
    await page.locator("[data-screen=waiting]").waitFor();
  };

  it("when the patient opens the link, then they stay invited through the device check, check in on Continue, and a reload returns to the waiting room with the time waited", async () => {
    const visit = await newVisit("patient-journey-1");
    const page = await rig.page(await rig.context());
    await page.goto(visit.joinUrl);
    await page.locator("[data-screen=precall]").waitFor();
    await page.getByTestId("network-figures").waitFor();
    // Opening the link moved no one: the console shows no one to admit yet.
    expect(await patientStatus(visit.sessionId)).toBe("invited");

    await checkIn(page);
    expect(await patientStatus(visit.sessionId)).toBe("waiting");

    // Two minutes and five seconds later by the server's clock, the patient reloads.
    clock.advance(125_000);
    await page.reload();
    await page.locator("[data-screen]").first().waitFor();
    expect(await page.locator("[data-screen]").first().getAttribute("data-screen")).toBe("waiting");
    expect(await page.getByTestId("waited").textContent()).toMatch(/^Waiting for 2:0[5-9]$/);
    expect(await patientStatus(visit.sessionId)).toBe("waiting");
  }, 90_000);

  it("when the clinician ends the visit while the patient is in the video, then the patient's page closes the video and says so within 2 s", async () => {
    const visit = await newVisit("patient-journey-2");
    const page = await rig.page(await rig.context());
    await page.goto(visit.joinUrl);
    await checkIn(page);
    await call("POST", `/v1/sessions/${visit.sessionId}/participants/${visit.participantId}/admit`);
    await videoJoined(page);
    // Item 8: admission is said by the live region, and in the video the first Tab stays on the stage.
    const announcer = page.getByTestId("announcer");
    await page.waitForFunction(() => document.querySelector("[data-testid=announcer]")?.textContent === "You are in the visit now.");
    await page.keyboard.press("Tab");
    // Focus that enters the video's frame (another origin, another renderer) reaches the page a
    // moment after the key press (as in keyboard.test.ts): up to a second for it to arrive.
    const onStage = await page.waitForFunction(() => document.activeElement?.closest(".video-stage") !== null, undefined, { timeout: 1000 }).then(
      () => true,
      () => false,
    );
    expect(onStage).toBe(true);

    await call("POST", `/v1/sessions/${visit.sessionId}/end`);
    await page.locator("[data-screen=refused-ended]").waitFor({ timeout: 2_000 });
    expect(await page.getByRole("heading", { name: "This visit has ended" }).isVisible()).toBe(true);
    expect(await page.locator(".video-stage iframe").count()).toBe(0);
    // The end is announced, the heading has focus and the tab title names the screen.
    await page.waitForFunction(() => /^This visit has ended\./.test(document.querySelector("[data-testid=announcer]")?.textContent ?? ""));
    expect(await announcer.textContent()).toBe("This visit has ended. Thank you. You can close this page.");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("This visit has ended");
    expect(await page.title()).toBe("This visit has ended");
    await rig.screenshot(page, "patient-ended-from-video");
  }, 90_000);

  it("when the patient is removed in the video, or left and the visit then ends, then the page shows that screen and offers no way back into the room", async () => {
    const removed = await newVisit("patient-journey-3");
    const page = await rig.page(await rig.context());
    await page.goto(removed.joinUrl);
    await checkIn(page);
    await call("POST", `/v1/sessions/${removed.sessionId}/participants/${removed.participantId}/admit`);
    await videoJoined(page);
    await call("DELETE", `/v1/sessions/${removed.sessionId}/participants/${removed.participantId}`);
    await page.locator("[data-screen=refused-removed]").waitFor({ timeout: 2_000 });
    expect(await page.locator(".video-stage iframe").count()).toBe(0);

    const left = await newVisit("patient-journey-4");
    const other = await rig.page(await rig.context());
    await other.goto(left.joinUrl);
    await checkIn(other);
    await call("POST", `/v1/sessions/${left.sessionId}/participants/${left.participantId}/admit`);
    await videoJoined(other);
    await other.getByRole("button", { name: "Leave the visit" }).click();
    await other.locator("[data-screen=left]").waitFor();
    await call("POST", `/v1/sessions/${left.sessionId}/end`);
    // The page still listens after leaving: "Rejoin" gives way to the end.
    await other.locator("[data-screen=refused-ended]").waitFor({ timeout: 2_000 });
    expect(await other.getByRole("button", { name: "Rejoin" }).count()).toBe(0);
  }, 90_000);

  it("when the camera is blocked, then Continue stays disabled until the patient retries or explicitly chooses audio only", async () => {
    const visit = await newVisit("patient-journey-5");
    const ctx = await rig.context();
    const page = await rig.page(ctx);
    // The browser refuses the camera (as after a "Block" in the permission prompt).
    await page.addInitScript(() => {
      const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) =>
        c?.video ? Promise.reject(new DOMException("blocked", "NotAllowedError")) : real(c);
    });
    await page.goto(visit.joinUrl);
    await page.getByTestId("media-denied").waitFor();
    await page.getByTestId("network-figures").waitFor();
    const go = page.getByRole("button", { name: "Continue to the waiting room" });
    expect(await go.isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Try again" }).click();
    await page.getByTestId("media-denied").waitFor();
    expect(await go.isDisabled()).toBe(true);
    await rig.screenshot(page, "patient-precall-camera-blocked");
    await page.getByRole("button", { name: "Continue with audio only" }).click();
    await page.getByText("You will join with audio only").waitFor();
    expect(await go.isEnabled()).toBe(true);
    await checkIn(page);
  }, 90_000);

  it("when the patient switches the page to Spanish, then the tab title names the screen in Spanish and focus stays on the picker", async () => {
    const visit = await newVisit("patient-journey-7");
    const page = await rig.page(await rig.context());
    await page.goto(visit.joinUrl);
    await page.locator("[data-screen=precall]").waitFor();
    expect(await page.title()).toBe("Before your visit");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("screen-title");
    await page.getByLabel("Language").focus();
    await page.getByLabel("Language").selectOption("es");
    await page.getByRole("heading", { name: "Antes de su consulta" }).waitFor();
    expect(await page.title()).toBe("Antes de su consulta");
    // A language change is not a new screen: focus is not pulled away from the picker.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("SELECT");
  }, 90_000);

  it("when the device pickers and the network result load, then Continue does not move", async () => {
    const visit = await newVisit("patient-journey-6");
    const page = await rig.page(await rig.context());
    await page.goto(visit.joinUrl);
    const go = page.getByRole("button", { name: "Continue to the waiting room" });
    await go.waitFor();
    const before = await go.boundingBox();
    await page.locator("#pick-camera:not([disabled])").waitFor();
    await page.getByTestId("network-figures").waitFor();
    expect(await go.boundingBox()).toEqual(before);
    expect(await rig.axe(page)).toEqual([]);
    await rig.screenshot(page, "patient-precall-loaded");
  }, 90_000);
});
