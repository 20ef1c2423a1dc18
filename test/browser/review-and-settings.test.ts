import type { DocumentReference } from "@medplum/fhirtypes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, TENANT, VIDEO_DOMAIN, type Rig } from "../support/browser.js";
import { verifyVideoUrl } from "../support/join.js";
import { OpenAiStub } from "../support/openai-stub.js";

/** The review gate in the console: the AI gateway is stubbed, everything else is real. */
describe("Browser: AI summary review", () => {
  const ai = new OpenAiStub();
  let rig: Rig;
  let token: string;
  beforeAll(async () => {
    rig = await startRig({ env: { AI_GATEWAY_URL: await ai.start() }, tenant: { aiSummaryEnabled: true } });
    token = await rig.staffToken();
  });
  afterAll(async () => {
    await rig?.close();
    await ai.stop();
  });

  it("when the clinician ends the visit, hands in a transcript, edits the draft and accepts it, then exactly one DocumentReference holds the edited text", async () => {
    const s = (await rig.app.request({ method: "POST", url: "/v1/sessions", token, body: { patientId: "patient-ai", providerId: "dr-browser", scheduledStart: new Date().toISOString() } })).json();
    await rig.app.request({ method: "POST", url: `/v1/sessions/${s.id}/fallback`, token, body: { reason: "video failed" } });

    const ctx = await rig.context();
    const page = await rig.page(ctx);
    await page.goto(`${rig.base}/console?tenant=${TENANT}#token=${token}`);
    await page.getByRole("button", { name: "Open patient-ai" }).click();
    await page.getByRole("button", { name: "End visit" }).click();
    await page.getByLabel("Visit transcript").fill("Clinician: what brings you in? Patient: sore throat since Monday.");
    await page.getByRole("button", { name: "Draft a summary" }).click();
    await page.locator("[data-testid=ai-status][data-status=ready]").waitFor({ timeout: 30_000 });
    expect(await page.getByLabel("Assessment").inputValue()).toBe(ai.draft.assessment);
    expect(await rig.axe(page)).toEqual([]);
    await rig.screenshot(page, "console-ai-summary");
    await page.getByLabel("Plan").fill("Fluids, rest, salt-water gargles; review in 5 days");
    await page.getByRole("button", { name: "Accept into the chart" }).click();
    await page.locator("[data-testid=ai-status][data-status=accepted]").waitFor();

    const summary = (await rig.app.request({ method: "GET", url: `/v1/sessions/${s.id}/ai-summary`, token })).json();
    expect(summary).toMatchObject({ status: "accepted", edited: true });
    expect(summary.acceptedText).toContain("Plan: Fluids, rest, salt-water gargles; review in 5 days");
    const docs = await rig.app.fhir.search<DocumentReference>("DocumentReference", { identifier: `urn:virtual-care:ai-summary|${summary.id}` });
    expect(docs).toHaveLength(1);
    expect(Buffer.from(docs[0]!.content[0]!.attachment.data!, "base64").toString("utf8")).toBe(summary.acceptedText);
    expect(ctx.cspViolations).toEqual([]);
  }, 90_000);

  it("when an admin changes the clinic settings, then they are saved and the backend secret stays write-only and unchanged", async () => {
    const ctx = await rig.context();
    const page = await rig.page(ctx);
    await page.goto(`${rig.base}/console?tenant=${TENANT}#token=${token}`);
    await page.getByRole("button", { name: "Settings" }).click();
    const secret = page.getByLabel("Secret (write-only)");
    expect(await secret.inputValue()).toBe("");
    await page.getByLabel("Below this speed, offer the written visit (kbit/s)").fill("300");
    // The link lifetime is shown and entered in minutes (stored in seconds): the default hour is 60.
    const lifetime = page.getByLabel("Join link lifetime (minutes)");
    expect(await lifetime.inputValue()).toBe("60");
    await lifetime.fill("90");
    expect(await rig.axe(page)).toEqual([]);
    await rig.screenshot(page, "console-settings");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Settings saved.").waitFor();
    const config = (await rig.app.request({ method: "GET", url: "/v1/tenant-config", token })).json();
    expect(config.fallbackBandwidthKbps).toBe(300);
    expect(config.joinTokenTtlSeconds).toBe(5400);
    expect(config.videoBackends[0].secret).toBe("[REDACTED]");
    expect(await page.content()).not.toContain("secret-for-primary");
    // The stored secret still signs: a visit created now gets a video JWT the old secret verifies.
    const s = (await rig.app.request({ method: "POST", url: "/v1/sessions", token, body: { patientId: "p-cfg", providerId: "dr-browser", scheduledStart: new Date().toISOString() } })).json();
    const clinician = s.participants.find((p: { role: string }) => p.role === "clinician");
    const joinToken = (await rig.app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${clinician.id}/join-token`, token })).json().token;
    const v = (await rig.app.request({ method: "POST", url: "/v1/join/validate", body: { token: joinToken } })).json();
    await verifyVideoUrl(v.videoJoinUrl, { domain: VIDEO_DOMAIN, at: new Date() });
  }, 90_000);
});
