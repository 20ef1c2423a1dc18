import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patientVisit, startRig, TENANT, type Rig } from "../support/browser.js";
import { sql } from "../support/join.js";
import { multipartBody } from "../support/multipart.js";

/** Issue 19, item 5 (and item 8's inbox focus): a written visit in both directions, in Chromium. */
describe("Browser: two-way written visits", () => {
  let rig: Rig;
  let token: string;
  beforeAll(async () => {
    rig = await startRig();
    token = await rig.staffToken();
  });
  afterAll(() => rig?.close());

  const fallbackVisit = async (patientId: string) => {
    const visit = await patientVisit(rig, token, patientId);
    await rig.app.request({ method: "POST", url: `/v1/sessions/${visit.sessionId}/fallback`, token, body: { reason: "poor connection" } });
    return { id: visit.sessionId, joinUrl: visit.joinUrl };
  };
  /** A written visit entered by staff (no join link needed), for filling the inbox. */
  const staffVisit = async (patientId: string, text: string) => {
    const { payload, contentType } = await multipartBody({ patientId, providerId: "dr-browser", text }, []);
    const res = await rig.app.service.app.inject({ method: "POST", url: "/v1/async-visits", headers: { authorization: `Bearer ${token}`, "content-type": contentType }, payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const openInbox = async (page: Page) => {
    await page.goto(`${rig.base}/console?tenant=${TENANT}#token=${token}`);
    await page.getByRole("button", { name: "Written visits" }).click();
    await page.getByRole("heading", { name: "Written visits" }).waitFor();
  };
  const focused = (page: Page) =>
    page.evaluate(() => {
      const el = document.activeElement;
      return { tag: el?.tagName ?? "", id: el?.id ?? "", text: (el?.textContent ?? "").trim() };
    });

  it("when the patient sends a written visit and the clinician replies from the inbox, then the patient sees what they sent after a reload and the reply when they open the link again", async () => {
    const v = await fallbackVisit("patient-two-way");
    const patientCtx = await rig.context();
    const patient = await rig.page(patientCtx);
    await patient.goto(v.joinUrl);
    await patient.getByRole("heading", { name: "Send your question in writing" }).waitFor();
    await patient.getByLabel("Your message").fill("The cough is worse at night. Should I come in?");
    await patient.getByRole("button", { name: "Send" }).click();
    await patient.getByText("Thank you: your clinician has received your message.").waitFor({ timeout: 30_000 });

    // A reload keeps the trace of what was sent: the page reads it back from the service.
    await patient.setViewportSize({ width: 390, height: 844 });
    await patient.reload();
    const history = patient.getByTestId("written-history");
    await history.getByText("The cough is worse at night. Should I come in?").waitFor();
    expect(await history.getByText(/No reply yet/).count()).toBe(1);
    expect(await rig.axe(patient)).toEqual([]);
    await rig.screenshot(patient, "patient-written-history-sent");

    // The clinician, on a laptop: time, patient, the visit it belongs to, and a reply.
    const clinicianCtx = await rig.context();
    const console_ = await rig.page(clinicianCtx);
    await console_.setViewportSize({ width: 1440, height: 900 });
    await openInbox(console_);
    const card = console_.locator("article", { hasText: "The cough is worse at night" });
    await card.waitFor();
    expect(await card.getByRole("heading", { level: 2 }).textContent()).toBe("patient-two-way");
    expect(await card.locator("time").first().textContent()).toMatch(/^Sent .+\d/);
    await card.getByLabel("Reply to the patient").fill("Please come in tomorrow at 9:00; bring your inhaler.");
    await card.getByRole("button", { name: "Send reply" }).click();
    await card.getByText("Please come in tomorrow at 9:00; bring your inhaler.").waitFor();
    expect(await card.getByText(/^Answered /).count()).toBe(1);
    expect(await console_.getByTestId("inbox-status").textContent()).toBe("Reply sent.");
    expect(await rig.axe(console_)).toEqual([]);
    await rig.screenshot(console_, "console-inbox-replied");
    const stored = await sql(rig.app, "select r.text from async_visit_replies r join async_visits v on v.id = r.visit_id where v.session_id = $1", [v.id]);
    expect(stored).toEqual([{ text: "Please come in tomorrow at 9:00; bring your inhaler." }]);

    // "Open the visit" shows the visit the message belongs to.
    await card.getByRole("button", { name: "Open the visit" }).click();
    await console_.locator(`[data-session-id="${v.id}"]`).getByRole("heading", { level: 1, name: /patient-two-way/ }).waitFor();

    // The patient opens their link again (a new page, as from the notification): the answer is there.
    const again = await rig.page(patientCtx);
    await again.setViewportSize({ width: 390, height: 844 });
    await again.goto(v.joinUrl);
    const reply = again.getByTestId("written-history").locator("[data-reply]");
    await reply.waitFor();
    expect(await reply.textContent()).toContain("Please come in tomorrow at 9:00; bring your inhaler.");
    expect(await reply.textContent()).toMatch(/Reply from your clinic, .+\d/);
    expect(await again.getByText(/No reply yet/).count()).toBe(0);
    expect(await rig.axe(again)).toEqual([]);
    await rig.screenshot(again, "patient-written-history-replied");
    await again.setViewportSize({ width: 1440, height: 900 });
    await rig.screenshot(again, "patient-written-history-replied-desktop");
    await console_.setViewportSize({ width: 390, height: 844 });
    // Back from the visit, to the inbox it was opened from.
    await console_.locator(`[data-session-id="${v.id}"]`).getByRole("button", { name: /Today's visits/ }).click();
    await console_.getByRole("heading", { name: "Written visits" }).waitFor();
    await rig.screenshot(console_, "console-inbox-replied-phone");
    expect(patientCtx.cspViolations).toEqual([]);
    expect(clinicianCtx.cspViolations).toEqual([]);
  }, 120_000);

  it("when the clinician marks a message reviewed with the keyboard, then focus moves to the next message's heading, so a second Enter marks nothing else; after the last, to the list heading", async () => {
    // Leave only this test's messages in the list.
    await sql(rig.app, "update async_visits set status = 'reviewed'", []);
    await sql(rig.app, "delete from async_visit_queue", []);
    const first = await staffVisit("patient-focus-a", "First message");
    const second = await staffVisit("patient-focus-b", "Second message");
    const ctx = await rig.context();
    const page = await rig.page(ctx);
    await openInbox(page);
    await page.locator(`[data-async-visit="${second}"]`).waitFor();

    await page.locator(`[data-async-visit="${first}"]`).getByRole("button", { name: "Mark reviewed" }).focus();
    await page.keyboard.press("Enter");
    await page.locator(`[data-async-visit="${first}"]`).waitFor({ state: "detached" });
    await page.waitForFunction((id) => document.activeElement?.id === `inbox-item-${id}`, second);
    expect(await focused(page)).toEqual({ tag: "H2", id: `inbox-item-${second}`, text: "patient-focus-b" });
    // A second Enter lands on a heading: the next message stays unreviewed.
    await page.keyboard.press("Enter");
    expect(await page.locator(`[data-async-visit="${second}"]`).count()).toBe(1);
    expect(await page.getByTestId("inbox-status").textContent()).toBe("Marked reviewed.");
    expect(await sql(rig.app, "select status from async_visits where id = $1", [second])).toEqual([{ status: "submitted" }]);

    await page.locator(`[data-async-visit="${second}"]`).getByRole("button", { name: "Mark reviewed" }).focus();
    await page.keyboard.press("Enter");
    await page.getByText("Nothing to review.").waitFor();
    await page.waitForFunction(() => document.activeElement?.id === "inbox-title");
    expect(await focused(page)).toEqual({ tag: "H1", id: "inbox-title", text: "Written visits" });
    expect(await sql(rig.app, "select status from async_visits where id = any($1)", [[first, second]])).toEqual([{ status: "reviewed" }, { status: "reviewed" }]);
    // Each message was reviewed by exactly one press: no extra review ran (a second one would be audited as refused, 409).
    const reviews = await sql(rig.app, "select data->>'outcome' as outcome from virtual_care_outbox where type = 'audit.virtualcare.async_visit.review' and data->'targets'->>'asyncVisitId' = any($1)", [[first, second]]);
    expect(reviews).toEqual([{ outcome: "success" }, { outcome: "success" }]);
  }, 90_000);
});
