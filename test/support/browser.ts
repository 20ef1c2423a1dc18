import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from "playwright-core";
import type { Clock } from "../../src/platform/ports.js";
import { bootApp, configureTenant, staffToken, type Role, type TestApp } from "./app.js";
import { freePort, PrivateNats } from "./nats.js";

/**
 * A real browser (Debian's Chromium) against the real service on PostgreSQL and NATS. Only the
 * video domain is stubbed: the browser intercepts its URLs and serves a fake Jitsi room page which,
 * like Jitsi's, reads its overrides from the URL hash and says hello to the embedding page over
 * postMessage (the `__ready__` handshake of Jitsi's external-API channel), with a "Hang up" button
 * that sends Jitsi's `video-ready-to-close`.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const VIDEO_DOMAIN = "video.test.example";
export const TENANT = "browser-clinic";
export const ARTIFACTS = "test-artifacts/screens";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export const fakeJitsiRoom = `<!doctype html><html lang="en"><title>video room</title><style>body { background: #dde; font: 16px sans-serif; }</style><p>video room</p><button id="hangup">Hang up</button>
<script>
(function () {
  var hash = {};
  location.hash.slice(1).split("&").forEach(function (kv) {
    var i = kv.indexOf("=");
    if (i > 0) hash[kv.slice(0, i)] = JSON.parse(decodeURIComponent(kv.slice(i + 1)));
  });
  var scope = "jitsi_meet_external_api_" + hash.jitsi_meet_external_api_id;
  var send = function (method, params) { parent.postMessage(JSON.stringify({ postis: true, scope: scope, method: method, params: params || {} }), "*"); };
  var ping = setInterval(function () { send("__ready__"); }, 50);
  addEventListener("message", function (e) {
    try { var m = JSON.parse(e.data); if (m.postis && m.scope === scope && m.method === "__ready__") clearInterval(ping); } catch (_) {}
  });
  document.getElementById("hangup").onclick = function () { send("message", { type: "event", data: { name: "video-ready-to-close" } }); };
})();
</script>`;

/** A video room the page embedded, as its frame's URL shows it. */
export interface VideoJoin {
  domain: string;
  roomName: string;
  jwt: string;
  /** `https://{domain}/{room}?jwt=…`: the service's videoJoinUrl, which test/support/join.ts verifies. */
  url: string;
  /** Jitsi's overrides from the hash (`config.prejoinConfig.enabled`, `userInfo.displayName`, …). */
  hash: Record<string, unknown>;
  frame: Frame;
}

function videoJoinOf(frame: Frame): VideoJoin {
  const u = new URL(frame.url());
  const hash: Record<string, unknown> = {};
  for (const kv of u.hash.slice(1).split("&").filter(Boolean)) {
    const i = kv.indexOf("=");
    hash[kv.slice(0, i)] = JSON.parse(decodeURIComponent(kv.slice(i + 1)));
  }
  const roomName = decodeURIComponent(u.pathname.slice(1));
  const jwt = u.searchParams.get("jwt") ?? "";
  return { domain: u.host, roomName, jwt, url: `https://${u.host}/${encodeURIComponent(roomName)}?jwt=${jwt}`, hash, frame };
}

/** The video rooms `page` embeds right now (frames of any https origin other than the page's). */
export function videoJoins(page: Page, domain = VIDEO_DOMAIN): VideoJoin[] {
  return page
    .frames()
    .filter((f) => f !== page.mainFrame() && f.url().startsWith(`https://${domain}/`))
    .map(videoJoinOf);
}

/**
 * How a test observes a video join: the page's video stage says the room answered
 * (`data-video-state=ready`), and exactly one room frame is embedded; returns it.
 */
export async function videoJoined(page: Page, domain = VIDEO_DOMAIN): Promise<VideoJoin> {
  await page.locator("[data-video-state=ready]").waitFor();
  const joins = videoJoins(page, domain);
  if (joins.length !== 1) throw new Error(`expected one video room on the page, found ${joins.length}`);
  return joins[0]!;
}

export interface Rig {
  app: TestApp;
  base: string;
  browser: Browser;
  /** The service's time: the rig's clock when it was given one, else the system's. */
  now(): Date;
  staffToken(roles?: Role[]): Promise<string>;
  /**
   * A fresh browser profile (a person), phone-sized, with fake camera and microphone. `video.down`
   * makes the video domain unreachable for it (connection refused) until set back.
   */
  context(): Promise<RigContext>;
  page(ctx: BrowserContext): Promise<Page>;
  screenshot(page: Page, name: string): Promise<void>;
  /** axe-core's serious and critical WCAG 2.1 A/AA violations on the current screen. */
  axe(page: Page): Promise<Array<{ id: string; impact: string; nodes: number }>>;
  close(): Promise<void>;
}

export type RigContext = BrowserContext & { cspViolations: string[]; video: { down: boolean } };

export interface RigOptions {
  clock?: Clock;
  /** Tenant config beyond the stubbed video backend; null: configure no tenant (staff tokens are not ours to sign). */
  tenant?: Record<string, unknown> | null;
  env?: Record<string, string>;
  /** The service's port, when something must know its URL before it starts (an OIDC redirect URI). */
  port?: number;
}

export async function startRig(opts: RigOptions = {}): Promise<Rig> {
  const nats = await PrivateNats.start();
  const port = opts.port ?? (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const app = await bootApp({ clock: opts.clock, env: { NATS_URL: nats.url, PUBLIC_BASE_URL: base, ...opts.env } });
  await app.service.app.listen({ port, host: "127.0.0.1" });
  if (opts.tenant !== null) await configureTenant(app, TENANT, { videoBackends: [{ name: "primary", domain: VIDEO_DOMAIN }], ...opts.tenant });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  const contexts: BrowserContext[] = [];
  return {
    app,
    base,
    browser,
    now: () => opts.clock?.now() ?? new Date(),
    staffToken: (roles = ["clinician", "scheduler", "admin"]) => staffToken(TENANT, roles, "dr-browser"),
    async context() {
      const ctx: RigContext = Object.assign(await browser.newContext({ viewport: { width: 360, height: 640 }, locale: "en-US" }), {
        cspViolations: [] as string[],
        video: { down: false },
      });
      contexts.push(ctx);
      await ctx.route(`https://${VIDEO_DOMAIN}/**`, (route) =>
        ctx.video.down ? route.abort("connectionrefused") : route.fulfill({ contentType: "text/html", body: fakeJitsiRoom }),
      );
      return ctx;
    },
    async page(ctx) {
      const page = await ctx.newPage();
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) (ctx as BrowserContext & { cspViolations: string[] }).cspViolations.push(m.text());
      });
      return page;
    },
    async screenshot(page, name) {
      await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
    },
    async axe(page) {
      // evaluate() runs over the DevTools protocol, outside the page's CSP (which forbids inline scripts).
      await page.evaluate(axeSource);
      const result = await page.evaluate(() =>
        (window as unknown as { axe: { run(ctx: Document, o: unknown): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run(document, {
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        }),
      );
      return result.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await app.close();
      await nats.destroy();
    },
  };
}

/**
 * Records the page's largest-contentful-paint candidates (what Lighthouse takes its LCP from), in
 * every page of `ctx` from its first load: each as the element's `data-testid`, else its tag.
 * Read them with `largestPaints(page)`; the last is the page's LCP element so far.
 */
export async function watchLargestPaint(ctx: BrowserContext): Promise<void> {
  await ctx.addInitScript(() => {
    const seen: string[] = ((window as unknown as { __largestPaints: string[] }).__largestPaints = []);
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as Array<PerformanceEntry & { element: Element | null }>) {
        seen.push(e.element?.getAttribute("data-testid") ?? e.element?.tagName.toLowerCase() ?? "(removed)");
      }
    }).observe({ type: "largest-contentful-paint", buffered: true });
  });
}

export function largestPaints(page: Page): Promise<string[]> {
  return page.evaluate(() => [...(window as unknown as { __largestPaints: string[] }).__largestPaints]);
}

/**
 * A visit for `patientId` starting now (the rig's time), and its patient's join link, as the
 * console would send it; `token` is a staff token of the tenant the visit belongs to.
 */
export async function patientVisit(rig: Rig, token: string, patientId: string): Promise<{ sessionId: string; participantId: string; joinUrl: string; joinToken: string }> {
  const post = async (url: string, body?: unknown) => {
    const res = await rig.app.request({ method: "POST", url, token, body });
    if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const session = await post("/v1/sessions", { patientId, providerId: "dr-browser", scheduledStart: rig.now().toISOString() });
  const patient = session.participants.find((p: { role: string }) => p.role === "patient");
  const issued = await post(`/v1/sessions/${session.id}/participants/${patient.id}/join-token`);
  return { sessionId: session.id as string, participantId: patient.id as string, joinUrl: issued.joinUrl as string, joinToken: issued.token as string };
}

