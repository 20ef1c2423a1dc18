// The whole test suite: type check, layer rules, then vitest. Ends with the plain
// "N passed, N failed" line CI reads, and exits non-zero on any failure.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

const run = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit", env: process.env }).status ?? 1;
let passed = 0;
let failed = 0;
const check = (name, status) => {
  if (status === 0) passed += 1;
  else {
    failed += 1;
    console.error(`check failed: ${name}`);
  }
};

check("typecheck", run("npx", ["tsc", "--noEmit", "-p", "tsconfig.json"]));
check("web typecheck", run("npx", ["tsc", "--noEmit", "-p", "web/tsconfig.json"]));
check("dependency rules", run("npx", ["depcruise", "src", "--config", ".dependency-cruiser.cjs", "--output-type", "err"]));

const report = ".test-results.json";
rmSync(report, { force: true });
const vitest = run("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)]);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  // A file that failed before running any test (import error, failing beforeAll) counts once.
  for (const file of r.testResults ?? []) {
    const ran = (file.assertionResults ?? []).some((a) => a.status === "passed" || a.status === "failed");
    if (file.status === "failed" && !ran) failed += 1;
  }
  if ((r.numTotalTests ?? 0) === 0) failed += 1;
} else {
  failed += 1;
}
if (vitest !== 0 && failed === 0) failed += 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
