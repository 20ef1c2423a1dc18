/**
 * Layer rules (docs/architecture.md): dependencies point inward, and features stay apart.
 *   domain/     pure: imports nothing outside itself
 *   platform/   shared application code: domain and itself (schemas may use TypeBox)
 *   features/x/ domain, platform and its own folder; only its routes and wiring touch http/
 *   adapters/   implement ports: domain, platform and feature ports, never http/ or use cases' routes
 *   http/       the HTTP shell: no adapters
 *   workers/    background loops: their ports and helpers live in platform/, so adapters never import workers/
 *   composition/ the composition root (with main.ts and cli.ts): the only place that sees everything
 * And no import cycles anywhere.
 */
const FEATURE_HTTP_FILES = "(routes|-routes|wiring)\\.ts$";
const SCHEMA_FILES = "(schemas|session-view)\\.ts$";

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
      name: "platform-sees-only-domain",
      comment: "platform/ is shared by every feature, so it depends on none of them",
      severity: "error",
      from: { path: "^src/platform/" },
      to: { path: ["^src/(features|adapters|http|workers|dev|composition)/", "^src/(main|cli|config)\\.ts$"] },
    },
    {
      name: "features-stay-apart",
      comment: "a feature imports the domain, platform/ and its own folder; never another feature",
      severity: "error",
      from: { path: "^src/features/([^/]+)/" },
      to: { path: "^src/features/", pathNot: "^src/features/$1/" },
    },
    {
      name: "use-cases-know-no-transport",
      comment: "use cases depend on the domain and ports; only a feature's routes and wiring see http/",
      severity: "error",
      from: { path: "^src/(features|platform)/", pathNot: FEATURE_HTTP_FILES },
      to: { path: ["^src/(adapters|http|workers|dev|composition)/", "^src/(main|cli|config)\\.ts$"] },
    },
    {
      name: "use-cases-use-no-packages",
      comment: "only schemas (TypeBox) and routes use packages; use cases are plain TypeScript",
      severity: "error",
      from: { path: "^src/(features|platform)/", pathNot: [FEATURE_HTTP_FILES, SCHEMA_FILES] },
      to: { path: "^node_modules/", dependencyTypesNot: ["core"] },
    },
    {
      name: "feature-routes-reach-no-adapters",
      comment: "routes call use cases; only the composition root knows adapters",
      severity: "error",
      from: { path: "^src/features/" },
      to: { path: "^src/adapters/" },
    },
    {
      name: "adapters-do-not-reach-http-or-use-cases",
      comment: "adapters implement ports (platform/ports.ts, features/*/ports.ts) and see the domain",
      severity: "error",
      from: { path: "^src/adapters/" },
      to: { path: ["^src/http/", "^src/composition/", "^src/(main|cli)\\.ts$", "^src/features/[^/]+/(?!ports\\.ts$)"] },
    },
    {
      name: "http-does-not-reach-adapters",
      comment: "the HTTP shell gets features and ports from the composition root",
      severity: "error",
      from: { path: "^src/http/" },
      to: { path: ["^src/adapters/", "^src/features/"] },
    },
    {
      name: "adapters-do-not-reach-workers",
      comment: "the relay's and the clock monitor's ports are in platform/ (worker-ports.ts); adapters implement them",
      severity: "error",
      from: { path: "^src/adapters/" },
      to: { path: "^src/workers/" },
    },
    {
      name: "no-import-cycles",
      comment: "every module can be read before the ones that import it",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
