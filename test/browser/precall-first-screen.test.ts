import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { largestPaints, patientVisit, startRig, watchLargestPaint, type Rig } from "../support/browser.js";

/**
 * Issue 19 (Lighthouse on the patient's phone): the pre-call screen is drawn before the network
 * check moves its megabyte each way. The screen's largest text paints with it and stays the
 * largest (so the page's LCP does not wait for the check); the check starts only after it, in a
 * worker (so reading and sending the probes never blocks the page); the visit's event stream,
 * which never finishes, is not among the requests the page needs to be ready.
 */
describe("Browser: the pre-call screen first, the network check after it", () => {
  let rig: Rig;
  let token: string;
  beforeAll(async () => {
    rig = await startRig();
    token = await rig.staffToken();
  });
  afterAll(() => rig?.close());

  /** The page's own requests, as its DevTools session sees them (a worker's are not among them). */
  const pageRequests = async (page: Page) => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    const sent: Array<{ path: string; priority: string }> = [];
    cdp.on("Network.requestWillBeSent", (e) => sent.push({ path: new URL(e.request.url).pathname, priority: e.request.initialPriority }));
    return sent;
  };

  it("when the link is opened, then the intro paints first and stays the largest content, and the check runs after it in a worker", async () => {
    const ctx = await rig.context();
    await watchLargestPaint(ctx);
    const page = await rig.page(ctx);
    // What the page had painted when the first probe reached the service.
    let paintedAtFirstProbe: string[] | undefined;
    await ctx.route("**/v1/join/probe**", async (route) => {
      paintedAtFirstProbe ??= await largestPaints(page);
      await route.continue();
    });
    const workers: string[] = [];
    page.on("worker", (w) => workers.push(new URL(w.url()).pathname));
    const sent = await pageRequests(page);

    await page.goto((await patientVisit(rig, token, "patient-first-screen")).joinUrl);
    await page.getByTestId("network-figures").waitFor({ timeout: 60_000 });

    expect(paintedAtFirstProbe).toContain("precall-intro");
    // Neither the verdict nor the figures outgrew it.
    expect((await largestPaints(page)).at(-1)).toBe("precall-intro");
    expect(await page.getByTestId("network").getAttribute("data-verdict")).toBe("good");
    expect(workers).toEqual([expect.stringMatching(/^\/assets\/network-check\.worker-[\w-]+\.js$/)]);
    expect(sent.filter((r) => r.path === "/v1/join/probe")).toEqual([]);
    expect(sent.filter((r) => r.path === "/v1/join/events").map((r) => r.priority)).toEqual(["Low"]);
    expect(ctx.cspViolations).toEqual([]);
    await ctx.close();
  }, 90_000);

  it("when the worker cannot start, then the page measures by itself and still gives its verdict", async () => {
    const ctx = await rig.context();
    await ctx.route("**/assets/network-check.worker-*", (route) => route.fulfill({ status: 404 }));
    const page = await rig.page(ctx);
    const sent = await pageRequests(page);

    await page.goto((await patientVisit(rig, token, "patient-no-worker")).joinUrl);
    await page.getByTestId("network-figures").waitFor({ timeout: 60_000 });

    expect(await page.getByTestId("network").getAttribute("data-verdict")).toBe("good");
    expect(sent.filter((r) => r.path === "/v1/join/probe").length).toBeGreaterThanOrEqual(6);
    await ctx.close();
  }, 90_000);
});
