// `npm start` and `npm test` build the server (tsc → dist/) and the pages (vite → web/dist/) only
// when their inputs changed since the last build: a hash of every input file is kept beside the
// output, and an unchanged checkout starts without rebuilding (issue 23: 17–25 s of each start).
// Usage: node scripts/build-if-changed.mjs server web
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const targets = {
  server: {
    inputs: ["src", "tsconfig.json", "tsconfig.build.json", "package-lock.json"],
    output: "dist",
    // A fresh dist/: files of moved or deleted sources must not linger there.
    build: () => {
      rmSync("dist", { recursive: true, force: true });
      execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
    },
  },
  web: {
    // The web app types its API calls from the client package's generated file.
    inputs: ["web/src", "web/join.html", "web/console.html", "web/vite.config.ts", "web/tsconfig.json", "clients/typescript/src", "package-lock.json", "scripts/build-web.mjs"],
    output: "web/dist",
    build: () => execFileSync(process.execPath, ["scripts/build-web.mjs"], { stdio: "inherit" }),
  },
};

function filesUnder(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) => filesUnder(join(path, e.name)));
}

/** Names and contents of every input, in a stable order: a moved, added or edited file changes it. */
function inputHash(inputs) {
  const hash = createHash("sha256");
  for (const file of inputs.flatMap(filesUnder).sort()) {
    hash.update(file).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

for (const name of process.argv.slice(2)) {
  const target = targets[name];
  if (!target) throw new Error(`unknown build target ${name} (server, web)`);
  const stamp = join(target.output, ".inputs-sha256");
  const hash = inputHash(target.inputs);
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash) {
    console.log(`${name}: up to date (inputs unchanged since the last build)`);
    continue;
  }
  target.build();
  // Written only after a build that succeeded: a failed build is retried next time.
  writeFileSync(stamp, hash);
}
