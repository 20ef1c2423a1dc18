import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { Clock } from "../../src/platform/ports.js";
import { bootApp, configureTenant, staffToken, type Role, type TestApp } from "./app.js";
import { freePort, PrivateNats } from "./nats.js";

/**
 * A real browser (Debian's Chromium) against the real service on PostgreSQL and NATS. Only the
 * video domain is stubbed: the browser intercepts its URLs and gets a fake `external_api.js` that
 * records the options it was given and opens an iframe, as Jitsi's would.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const VIDEO_DOMAIN = "video.test.example";
export const TENANT = "browser-clinic";
export const ARTIFACTS = "test-artifacts/screens";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const fakeExternalApi = `
window.JitsiMeetExternalAPI = function (domain, options) {
  window.__jitsi = (window.__jitsi || []).concat([{ domain: domain, roomName: options.roomName, jwt: options.jwt }]);
  var f = document.createElement("iframe");
  f.src = "https://" + domain + "/" + encodeURIComponent(options.roomName);
  f.title = "video";
  f.setAttribute("data-fake-jitsi", "1");
  options.parentNode.appendChild(f);
  this.dispose = function () { f.remove(); };
  this.addListener = function () {};
};`;

export interface Rig {
  app: TestApp;
  base: string;
  browser: Browser;
  staffToken(roles?: Role[]): Promise<string>;
  /** A fresh browser profile (a person), phone-sized, with fake camera and microphone. */
  context(): Promise<BrowserContext & { cspViolations: string[] }>;
  page(ctx: BrowserContext): Promise<Page>;
  screenshot(page: Page, name: string): Promise<void>;
  /** axe-core's serious and critical WCAG 2.1 A/AA violations on the current screen. */
  axe(page: Page): Promise<Array<{ id: string; impact: string; nodes: number }>>;
  close(): Promise<void>;
}

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
    staffToken: (roles = ["clinician", "scheduler", "admin"]) => staffToken(TENANT, roles, "dr-browser"),
    async context() {
      const ctx = Object.assign(await browser.newContext({ viewport: { width: 360, height: 640 }, locale: "en-US" }), { cspViolations: [] as string[] });
      contexts.push(ctx);
      await ctx.route(`https://${VIDEO_DOMAIN}/**`, (route) => {
        const url = new URL(route.request().url());
        if (url.pathname === "/external_api.js") return route.fulfill({ contentType: "application/javascript", body: fakeExternalApi });
        return route.fulfill({ contentType: "text/html", body: "<!doctype html><title>video</title><p>video room</p>" });
      });
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
