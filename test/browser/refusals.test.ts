import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock, staffToken } from "../support/app.js";
import { startRig, TENANT, type Rig } from "../support/browser.js";

/** Every refusal of a join link has its own screen (never raw JSON), in the browser's language. */
describe("Browser: refused join links", () => {
  const clock = new ManualClock(new Date());
  let rig: Rig;
  let token: string;
  beforeAll(async () => {
    rig = await startRig({ clock });
    token = await rig.staffToken();
  });
  afterAll(() => rig?.close());

  const call = async (method: "GET" | "POST" | "PUT" | "DELETE", url: string, body?: unknown, as = token) => {
    const res = await rig.app.request({ method, url, token: as, body });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  /** A visit and its patient's join link. */
  const visit = async () => {
    const s = await call("POST", "/v1/sessions", { patientId: "p-refused", providerId: "dr-browser", scheduledStart: clock.now().toISOString() });
    const patient = s.participants.find((p: { role: string }) => p.role === "patient");
    const { joinUrl, token: joinToken } = await call("POST", `/v1/sessions/${s.id}/participants/${patient.id}/join-token`);
    return { id: s.id as string, patientId: patient.id as string, joinUrl: joinUrl as string, joinToken: joinToken as string };
  };

  it("when a link is expired, invalid, removed, cancelled, ended or unlicensed, then the page says so in words, in English or Spanish", async () => {
    // Issued, then the clock moves past the tenant's lifetime (3600 s): these two are expired.
    const expired = await visit();
    const spanishExpired = (await visit()).joinUrl;
    clock.advance(3601_000);
    const removed = await visit();
    await call("DELETE", `/v1/sessions/${removed.id}/participants/${removed.patientId}`);
    const cancelled = await visit();
    await call("POST", `/v1/sessions/${cancelled.id}/cancel`, { reason: "clinician unavailable" });
    const ended = await visit();
    await rig.app.request({ method: "POST", url: "/v1/join/validate", body: { token: ended.joinToken } });
    await call("POST", `/v1/sessions/${ended.id}/participants/${ended.patientId}/admit`);
    await call("POST", `/v1/sessions/${ended.id}/end`);
    const unlicensed = await visit();

    const ctx = await rig.context();
    const page = await rig.page(ctx);
    const cases: Array<[string, string, string]> = [
      ["expired", expired.joinUrl, "This link has expired"],
      ["invalid", `${rig.base}/join?token=not-a-token`, "This link is not valid"],
      ["removed", removed.joinUrl, "You are no longer part of this visit"],
      ["cancelled", cancelled.joinUrl, "This visit was cancelled"],
      ["ended", ended.joinUrl, "This visit has ended"],
    ];
    for (const [why, url, heading] of cases) {
      const answer = await page.goto(url);
      expect(answer!.headers()["content-type"]).toContain("text/html");
      await page.locator(`[data-screen=refused-${why}]`).waitFor();
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(heading);
      expect(await rig.axe(page)).toEqual([]);
      await rig.screenshot(page, `patient-refused-${why}`);
    }

    const es = await rig.browser.newContext({ locale: "es-ES", viewport: { width: 360, height: 640 } });
    const esPage = await es.newPage();
    await esPage.goto(spanishExpired);
    await esPage.locator("[data-screen=refused-expired]").waitFor();
    expect(await esPage.getByRole("heading", { level: 1 }).textContent()).toBe("Este enlace ha caducado");
    expect(await esPage.locator("html").getAttribute("lang")).toBe("es");
    // The switch changes the language on the spot.
    await esPage.getByLabel("Idioma").selectOption("en");
    expect(await esPage.getByRole("heading", { level: 1 }).textContent()).toBe("This link has expired");
    await es.close();

    const platform = await staffToken(TENANT, ["admin", "platform_admin"]);
    const config = await call("GET", "/v1/tenant-config");
    const backends = config.videoBackends.map((b: Record<string, unknown>) => ({ ...b, secret: undefined }));
    await call("PUT", "/v1/tenant-config", { ...config, tenantId: undefined, version: undefined, videoBackends: backends, licensed: false }, platform);
    await page.goto(unlicensed.joinUrl);
    await page.locator("[data-screen=refused-unlicensed]").waitFor();
    await rig.screenshot(page, "patient-refused-unlicensed");
    expect(ctx.cspViolations).toEqual([]);
  }, 90_000);
});
