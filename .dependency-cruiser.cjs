/** Layer rules (docs/architecture): dependencies point inward. */
module.exports = {
  forbidden: [
    {
      name: "domain-is-pure",
      comment: "domain/ knows nothing of the app, adapters, HTTP, SQL or any package",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { pathNot: ["^src/domain/"] },
    },
    {
      name: "app-sees-only-domain-and-ports",
      comment: "use cases depend on domain/ and their own ports, never on adapters or HTTP",
      severity: "error",
      from: { path: "^src/app/" },
      to: { path: ["^src/adapters/", "^src/http/", "^src/workers/", "^src/main\\.ts", "^node_modules/"] },
    },
    {
      name: "adapters-do-not-reach-http",
      severity: "error",
      from: { path: "^src/adapters/" },
      to: { path: ["^src/http/", "^src/main\\.ts"] },
    },
    {
      name: "http-does-not-reach-adapters",
      comment: "routes call use cases; only main.ts knows adapters",
      severity: "error",
      from: { path: "^src/http/" },
      to: { path: ["^src/adapters/"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
