// Builds the patient and clinician pages (web/ → web/dist) and prints what the patient's phone
// downloads: the JavaScript the join page loads, gzipped. Over budget fails the build.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "vite";

const BUDGET_KB = 80;
const dist = "web/dist";
await build({ configFile: "web/vite.config.ts", logLevel: "warn" });

const html = readFileSync(join(dist, "join.html"), "utf8");
// Every script and module preload the page references: the entry and the chunks it shares.
const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
const gz = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, f)), { level: 9 }).length, 0);
const kb = (gz / 1024).toFixed(1);
console.log(`web: patient page JavaScript ${kb} KB gzipped (${files.length} files; budget ${BUDGET_KB} KB; Jitsi's script not included)`);
if (gz > BUDGET_KB * 1024) {
  console.error(`web: the patient page is over its ${BUDGET_KB} KB budget`);
  process.exit(1);
}
