import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_VERSION } from "../../src/http/openapi/api-version.js";
import { bootApp, configureTenant, staffToken, type TestApp } from "../support/app.js";

const run = promisify(execFile);
const repo = process.cwd();
const tsc = join(repo, "node_modules/.bin/tsc");

/** A project of an integrator: TypeScript that imports the installed package and drives a visit. */
const CONSUMER = `import { API_VERSION, createVirtualCareClient, type ErrorCode } from "@virtual-care/client";

const baseUrl = process.env.BASE_URL!;
const scheduler = createVirtualCareClient({ baseUrl, credential: { bearer: process.env.SCHEDULER! } });
const clinician = createVirtualCareClient({ baseUrl, credential: { bearer: process.env.CLINICIAN! } });

const created = await scheduler.POST("/v1/sessions", {
  body: { patientId: "pat-pack-1", providerId: "dr-pack", scheduledStart: "2030-01-07T10:00:00.000Z" },
});
if (!created.data) throw new Error("create failed: " + created.response.status);
const patient = created.data.participants.find((p) => p.role === "patient")!;
const link = await scheduler.POST("/v1/sessions/{id}/participants/{pid}/join-token", { params: { path: { id: created.data.id, pid: patient.id } } });
const patientApp = createVirtualCareClient({ baseUrl, credential: { joinToken: link.data!.token } });
const validated = await patientApp.POST("/v1/join/validate", { body: {} });
const admitted = await clinician.POST("/v1/sessions/{id}/participants/{pid}/admit", { params: { path: { id: created.data.id, pid: patient.id } } });
const ended = await clinician.POST("/v1/sessions/{id}/end", { params: { path: { id: created.data.id } } });
const again = await clinician.POST("/v1/sessions/{id}/end", { params: { path: { id: created.data.id } } });
const code: ErrorCode | undefined = again.error?.code;
console.log(JSON.stringify({ version: API_VERSION, created: created.response.status, destination: validated.data?.destination, admitted: admitted.data?.participant.status, ended: ended.data?.status, again: code }));
`;

/**
 * Issue 21: the client package as an integrator gets it. \`npm pack\` makes the tarball (its
 * prepack builds dist/ with tsc), an empty folder installs it without the registry (its one
 * dependency is packed from this repository's locked install), the integrator's TypeScript
 * type-checks against the installed declarations, and, compiled, drives a visit against a
 * listening service.
 */
describe("the client package, packed and installed in a fresh project", () => {
  let app: TestApp;
  let baseUrl: string;
  let dir: string;
  const tenant = "clinic-pack";

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, tenant);
    baseUrl = await app.service.app.listen({ port: 0, host: "127.0.0.1" });
    dir = mkdtempSync(join(tmpdir(), "vcs-client-pack-"));
  });
  afterAll(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("when npm packs it and a fresh folder installs it, then an integrator's TypeScript compiles against it and runs a whole visit", { timeout: 120_000 }, async () => {
    const npm = (args: string[], cwd: string) => run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, env: { ...process.env, npm_config_update_notifier: "false" } });
    await npm(["pack", "--pack-destination", dir], resolve(repo, "clients/typescript"));
    // The registry's tarballs of the locked versions would do the same; packing the installed ones keeps the test offline.
    await npm(["pack", "--pack-destination", dir, join(repo, "node_modules/openapi-fetch"), join(repo, "node_modules/openapi-typescript-helpers")], dir);
    const tarballs = readdirSync(dir).filter((f) => f.endsWith(".tgz"));
    expect(tarballs).toContain(`virtual-care-client-${API_VERSION}.tgz`);

    const project = join(dir, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "integrator", private: true, type: "module" }));
    await npm(["install", "--offline", ...tarballs.map((t) => join(dir, t))], project);

    writeFileSync(join(project, "visit.ts"), CONSUMER);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2022", "DOM"], types: [], strict: true, outDir: "out", skipLibCheck: false },
        files: ["visit.ts", "env.d.ts"],
      }),
    );
    // Only what the script reads of Node: the project installs no @types/node.
    writeFileSync(join(project, "env.d.ts"), "declare const process: { env: Record<string, string | undefined> };\n");
    await run(tsc, ["-p", "tsconfig.json"], { cwd: project });

    const { stdout } = await run(process.execPath, ["out/visit.js"], {
      cwd: project,
      env: { BASE_URL: baseUrl, SCHEDULER: await staffToken(tenant, ["scheduler"]), CLINICIAN: await staffToken(tenant, ["clinician"], "dr-pack") },
    });
    expect(JSON.parse(stdout)).toEqual({ version: API_VERSION, created: 201, destination: "waiting_room", admitted: "admitted", ended: "ended", again: "INVALID_STATUS_TRANSITION" });
  });

  it("when an integrator's code calls a path the document does not have, then it does not compile", { timeout: 60_000 }, async () => {
    const project = join(dir, "project");
    writeFileSync(join(project, "visit.ts"), `${CONSUMER}\nawait scheduler.POST("/v1/sessions/{id}/teleport", { params: { path: { id: "x" } } });\n`);
    await expect(run(tsc, ["-p", "tsconfig.json", "--noEmit", "--skipLibCheck"], { cwd: project })).rejects.toMatchObject({ stdout: expect.stringContaining("/v1/sessions/{id}/teleport") });
  });
});
