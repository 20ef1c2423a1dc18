// The whole test suite: type check, layer rules and vitest. Ends with the plain
// "N passed, N failed" line CI reads, and exits non-zero on any failure.
//
// The checks run beside vitest, not before it: one after another on one core while vitest's
// workers start (its suites spend much of their time waiting on databases, processes and
// browsers). Their output is printed once vitest has finished, so the two do not interleave.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { relative } from "node:path";

/** Runs a command, its output kept (printed later) or shown as it comes; resolves to its exit status and output. */
const run = (cmd, args, { capture }) =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit", env: process.env });
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (out += d));
    child.on("error", (err) => resolve({ status: 1, out: `${out}${err.message}\n` }));
    child.on("close", (code) => resolve({ status: code ?? 1, out }));
  });

const checks = [
  ["typecheck", "npx", ["tsc", "--noEmit", "-p", "tsconfig.json"]],
  ["web typecheck", "npx", ["tsc", "--noEmit", "-p", "web/tsconfig.json"]],
  ["dependency rules", "npx", ["depcruise", "src", "--config", ".dependency-cruiser.cjs", "--output-type", "err"]],
];
const checked = (async () => {
  const results = [];
  for (const [name, cmd, args] of checks) {
    const started = Date.now();
    const { status, out } = await run(cmd, args, { capture: true });
    results.push({ name, status, out, seconds: Math.round((Date.now() - started) / 1000) });
  }
  return results;
})();

const report = ".test-results.json";
rmSync(report, { force: true });
const vitest = (
  await run("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)], { capture: false })
).status;

/** The first line of a failure message, short enough for a log's tail. */
const firstLine = (message) => String(message ?? "").split("\n")[0].slice(0, 300);

let passed = 0;
let failed = 0;
for (const { name, status, out, seconds } of await checked) {
  if (out.trim()) process.stdout.write(out.endsWith("\n") ? out : `${out}\n`);
  if (status === 0) {
    passed += 1;
    console.log(`check passed: ${name} (${seconds} s)`);
  } else {
    failed += 1;
    console.error(`check failed: ${name}`);
  }
}
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
  // CI keeps only the end of its output: name each failure here, just above the summary line.
  for (const file of r.testResults ?? []) {
    const where = relative(process.cwd(), file.name ?? "");
    const failures = (file.assertionResults ?? []).filter((a) => a.status === "failed");
    if (file.status === "failed" && failures.length === 0) console.log(`failed: ${where}: ${firstLine(file.message)}`);
    for (const a of failures) console.log(`failed: ${where} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
  }
} else {
  failed += 1;
}
if (vitest !== 0 && failed === 0) failed += 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
