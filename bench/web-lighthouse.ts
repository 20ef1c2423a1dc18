// The pages as a patient on a phone and a clinician on a laptop meet them, measured by Lighthouse
// (pinned 12.2.3, the last release that runs on Node 20) driving Debian's Chromium against the
// real service on PostgreSQL and NATS.
//   npm run bench:web
// Prints, per page and form factor, the four category scores and the cumulative layout shift,
// then the time from opening a join link to "in the waiting room" on DevTools' Regular 3G preset,
// and a last line with the figures the issue targets.
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import { CHROMIUM, patientVisit, startRig } from "../test/support/browser.js";

const rig = await startRig();
const token = await rig.staffToken();

const chrome = await chromeLauncher.launch({
  chromePath: CHROMIUM,
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-background-networking", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
});

interface Row {
  page: string;
  form: "mobile" | "desktop";
  performance: number;
  accessibility: number;
  bestPractices: number;
  seo: number;
  cls: number;
  /** Lantern's estimates under the form factor's throttling (ms): what the performance score is made of. */
  fcp: number;
  lcp: number;
  tbt: number;
  /** Lighthouse's own warnings (a page that never went quiet, …): a run with one is read with care. */
  warnings: string[];
}

async function audit(page: string, url: string, form: Row["form"]): Promise<Row> {
  const flags = { port: chrome.port, output: "json" as const, logLevel: "error" as const, onlyCategories: ["performance", "accessibility", "best-practices", "seo"] };
  const result = await lighthouse(url, flags, form === "desktop" ? desktopConfig : undefined);
  if (!result) throw new Error(`lighthouse gave no result for ${page}`);
  const { categories, audits } = result.lhr;
  const score = (id: string) => Math.round((categories[id]?.score ?? 0) * 100);
  return {
    page,
    form,
    performance: score("performance"),
    accessibility: score("accessibility"),
    bestPractices: score("best-practices"),
    seo: score("seo"),
    cls: Number(audits["cumulative-layout-shift"]?.numericValue ?? NaN),
    fcp: Number(audits["first-contentful-paint"]?.numericValue ?? NaN),
    lcp: Number(audits["largest-contentful-paint"]?.numericValue ?? NaN),
    tbt: Number(audits["total-blocking-time"]?.numericValue ?? NaN),
    warnings: result.lhr.runWarnings.map(String),
  };
}

const rows: Row[] = [];
for (const form of ["mobile", "desktop"] as const) {
  // A fresh link per run: the page must open on a valid, unused token each time.
  rows.push(await audit("/join", (await patientVisit(rig, token, `lh-${form}`)).joinUrl, form));
  rows.push(await audit("/console", `${rig.base}/console?tenant=browser-clinic#token=${token}`, form));
}
await chrome.kill();

// Regular 3G as DevTools defines it: 750 kbit/s down, 250 kbit/s up, 100 ms latency.
const REGULAR_3G = { offline: false, latency: 100, downloadThroughput: (750 * 1000) / 8, uploadThroughput: (250 * 1000) / 8 };
const ctx = await rig.context();
const page = await rig.page(ctx);
const cdp = await ctx.newCDPSession(page);
await cdp.send("Network.enable");
await cdp.send("Network.emulateNetworkConditions", REGULAR_3G);
const link = (await patientVisit(rig, token, "lh-3g")).joinUrl;
const started = Date.now();
await page.goto(link);
await page.getByRole("button", { name: "Continue to the waiting room" }).click({ timeout: 60_000 });
await page.getByRole("heading", { name: "Waiting room" }).waitFor({ timeout: 60_000 });
const toWaitingMs = Date.now() - started;
await rig.close();

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(6);
console.log("page      form     perf  a11y  best   seo    CLS     FCP     LCP     TBT");
for (const r of rows) {
  console.log(
    `${r.page.padEnd(9)} ${r.form.padEnd(8)} ${String(r.performance).padStart(4)}  ${String(r.accessibility).padStart(4)}  ${String(r.bestPractices).padStart(4)}  ${String(r.seo).padStart(4)}  ${r.cls.toFixed(3)}  ${s(r.fcp)}  ${s(r.lcp)}  ${`${Math.round(r.tbt)} ms`.padStart(6)}`,
  );
  for (const w of r.warnings) console.log(`  ${r.page} ${r.form}: ${w}`);
}
console.log(`open link → waiting room on Regular 3G: ${(toWaitingMs / 1000).toFixed(1)} s`);
const joinMobile = rows.find((r) => r.page === "/join" && r.form === "mobile")!;
const worstCls = Math.max(...rows.map((r) => r.cls));
const minA11y = Math.min(...rows.map((r) => r.accessibility));
const minBest = Math.min(...rows.map((r) => r.bestPractices));
console.log(
  `bench:web join-mobile-perf=${joinMobile.performance} (≥95) a11y-min=${minA11y} (100) best-min=${minBest} (100) cls-max=${worstCls.toFixed(3)} (<0.1) regular3g-to-waiting=${(toWaitingMs / 1000).toFixed(1)}s (≤8)`,
);
