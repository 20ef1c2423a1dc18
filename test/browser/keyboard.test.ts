import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, TENANT, videoJoined, type Rig } from "../support/browser.js";
import { focused, tabOrder, tabTo } from "../support/keyboard.js";

/** The focused control once focus has arrived on the page; null if it has not within a second. */
const focusOnPage = async (page: Page) => {
  for (let waited = 0; ; waited += 100) {
    const now = await focused(page);
    if (now || waited >= 1000) return now;
    await new Promise((r) => setTimeout(r, 100));
  }
};
const names = (stops: Array<{ name: string }>) => stops.map((s) => s.name);
/** The console's header and navigation, first on every signed-in screen. */
const CONSOLE_TOP = ["Language", "Sign out", "Today's visits", "Written visits", "Settings"];

/**
 * WCAG 2.1 AA's keyboard path (2.1.1, 2.4.3, 2.4.7): the visit's main flows with Tab, Shift+Tab,
 * Enter and Space only — no click, no fill. Every control on each screen is in the tab order, in
 * reading order, and shows where focus is.
 */
describe("Browser: keyboard only — join, pre-call, waiting room, admission", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  it("when clinician and patient use only the keyboard, then the visit is created, joined, checked and admitted, and the console shows the patient's measured pre-call result", async () => {
    const clinicianCtx = await rig.context();
    const patientCtx = await rig.context();
    const console_ = await rig.page(clinicianCtx);
    await console_.goto(`${rig.base}/console?tenant=${TENANT}#token=${await rig.staffToken()}`);
    await console_.getByRole("heading", { name: "Today's visits" }).waitFor();

    const list = await tabOrder(console_);
    expect(list.unreachable).toEqual([]);
    expect(list.stops.filter((s) => !s.visible)).toEqual([]);
    expect(names(list.stops)).toEqual([
      ...CONSOLE_TOP,
      // Offered until decided (this profile never did): desktop alerts for arrivals.
      "Turn on desktop alerts",
      ...["scheduled", "in progress", "written fallback", "ended", "cancelled"],
      ...["Patient id or name", "Start time", "Create visit"],
    ]);

    // Create a visit: type the patient id, Tab over the start time, Enter on the button.
    await tabTo(console_, console_.getByLabel("Patient id"));
    await console_.keyboard.type("patient-keyboard-1");
    const toCreate = await tabTo(console_, console_.getByRole("button", { name: "Create visit" }));
    expect(names(toCreate)).toEqual(["Start time", "Create visit"]);
    await console_.keyboard.press("Enter");
    // The pressed button is gone: the visit's heading has focus, not the top of the page.
    await console_.getByRole("heading", { name: /patient-keyboard-1/ }).waitFor();
    await expect.poll(async () => (await focused(console_))?.name).toMatch(/^patient-keyboard-1/);
    const invited = console_.locator("[data-status=invited]");
    await invited.waitFor();
    expect(await invited.getByTestId("precall").textContent()).toBe("Connection check: not checked yet");

    const visit = await tabOrder(console_);
    expect(visit.unreachable).toEqual([]);
    expect(visit.stops.filter((s) => !s.visible)).toEqual([]);
    expect(names(visit.stops)).toEqual([...CONSOLE_TOP, "← Today's visits", "Copy join link", "Join video", "Remove", "Reason", "Cancel visit"]);

    await tabTo(console_, console_.getByRole("button", { name: "Copy join link" }));
    await console_.keyboard.press("Enter");
    const joinUrl = await console_.getByTestId("join-link").inputValue();

    // The patient: the pre-call screen's heading has focus; Tab reaches Continue, then the devices.
    const patient = await rig.page(patientCtx);
    await patient.goto(joinUrl);
    await patient.getByRole("heading", { name: "Before your visit" }).waitFor();
    await expect.poll(async () => (await focused(patient))?.name).toBe("Before your visit");
    const figures = patient.getByTestId("network-figures");
    await figures.waitFor();
    const measured = Math.min(Number(await figures.getAttribute("data-down")), Number(await figures.getAttribute("data-up")));
    const proceed = patient.getByRole("button", { name: "Continue to the waiting room", disabled: false });
    await proceed.waitFor();
    // The device pickers are enabled once the browser has listed its (fake) devices.
    await patient.locator("#pick-camera:not([disabled])").waitFor();
    await patient.locator("#pick-mic:not([disabled])").waitFor();
    const precall = await tabOrder(patient);
    expect(precall.unreachable).toEqual([]);
    expect(precall.stops.filter((s) => !s.visible)).toEqual([]);
    // Continue sits above the pickers, so it never moves when they load (a speaker picker follows
    // where the browser can route audio and lists an output).
    const order = names(precall.stops);
    expect(order.slice(0, 5)).toEqual(["Language", "Continue to the waiting room", "Test again", "Camera", "Microphone"]);
    expect(order.at(-1)).toBe("Play a test sound");
    await tabTo(patient, proceed);
    expect((await tabTo(patient, patient.getByLabel("Language"), { back: true })).map((s) => s.name)).toEqual(["Language"]);
    await patient.keyboard.press("Tab");
    await patient.keyboard.press("Space");
    await patient.getByRole("heading", { name: "Waiting room" }).waitFor();
    await expect.poll(async () => (await focused(patient))?.name).toBe("Waiting room");
    const waitingRoom = await tabOrder(patient);
    expect(waitingRoom.unreachable).toEqual([]);
    expect(names(waitingRoom.stops)).toEqual(["Language"]);

    // The console was pushed the arrival with the check the patient's browser reported.
    const waiting = console_.locator("[data-status=waiting]");
    await waiting.waitFor();
    const result = waiting.getByTestId("precall");
    await result.filter({ hasText: `${measured} kbit/s` }).waitFor();
    expect(await result.textContent()).toMatch(new RegExp(`^Connection check: ${measured} kbit/s at .+ — enough for video$`));
    expect(await rig.axe(console_)).toEqual([]);
    await rig.screenshot(console_, "console-keyboard-precall");

    // Admit with Space; Shift+Tab first proves the way back works too.
    await tabTo(console_, console_.getByRole("button", { name: "Admit" }));
    await expect.poll(async () => (await focused(console_))?.visible).toBe(true);
    await console_.keyboard.press("Shift+Tab");
    await expect.poll(async () => (await focused(console_))?.name).toBe("Link copied");
    await console_.keyboard.press("Tab");
    await console_.keyboard.press("Space");
    await videoJoined(patient);
    await console_.locator("[data-status=admitted]").waitFor();
    // Focus did not fall to the top of the page with the Admit button.
    await expect.poll(async () => (await focused(console_))?.name).toBe("Waiting room");

    // In video, focus starts on the video's own heading, and Tab never reaches what the video
    // covers (the header's language picker): it goes into the room and on to "Leave the visit".
    await expect.poll(async () => (await focused(patient))?.name).toBe("Video visit");
    const inVideo: string[] = [];
    for (let i = 0; i < 5 && !inVideo.includes("Leave the visit"); i++) {
      await patient.keyboard.press("Tab");
      // Focus entering the video's frame (another origin, another renderer) reaches this page a
      // moment after the key press: until then the page reports no focus at all.
      const now = await focusOnPage(patient);
      inVideo.push(now ? (now.tag === "iframe" ? "(video room)" : now.name) : "(none)");
    }
    // CI twice saw the first Tab leave the document ("(none)") on a loaded machine (cause not
    // found, not reproduced locally; issue 19's note). Tolerated once, at the start only: the
    // first stop on the page must still be the room, and focus must not leave the page again.
    expect(inVideo.filter((stop) => stop !== "(none)")[0]).toBe("(video room)");
    expect(inVideo.slice(1)).not.toContain("(none)");
    expect(inVideo).toContain("Leave the visit");
    expect(inVideo).not.toContain("Language");
    // …nor backwards, nor round again past the end of the page.
    await patient.getByRole("heading", { name: "Video visit" }).focus();
    await patient.keyboard.press("Shift+Tab");
    expect((await focused(patient))?.name).not.toBe("Language");
    for (let i = 0; i < 3; i++) {
      await patient.keyboard.press("Tab");
      expect((await focused(patient))?.name).not.toBe("Language");
    }

    expect(patientCtx.cspViolations).toEqual([]);
    expect(clinicianCtx.cspViolations).toEqual([]);
  }, 120_000);
});
