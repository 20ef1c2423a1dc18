// Spectral ruleset for the generated OpenAPI document (GET /openapi.json): spectral:oas and the
// OWASP API Security ruleset, with the switch-offs below (one line of reason each). Read by
// test/interfaces/openapi-lint.test.ts through Spectral's JS API. It is in Spectral's JS ruleset
// format, meant for `spectral lint -r .spectral.mjs` too (the CLI is not a dependency here, and
// that use is untested). Everything comes from local packages: no remote ruleset is fetched.
import { oas } from "@stoplight/spectral-rulesets";
import owaspModule from "@stoplight/spectral-owasp-ruleset";

// The package is CommonJS with a default export; Node's ESM import wraps it once more.
const owasp = owaspModule.default ?? owaspModule;

/** Formats whose values have a fixed or validator-bounded length. */
const BOUNDED_FORMATS = new Set(["uuid", "date-time", "date", "binary"]);

/**
 * What OWASP's string/integer/array limits ask, applied where they protect the service: request
 * bodies and parameters. A schema is walked through properties, items and unions.
 */
function requestBounds(operation, _opts, context) {
  const problems = [];
  const visit = (schema, path) => {
    if (!schema || typeof schema !== "object") return;
    const types = [].concat(schema.type ?? []);
    const fixed = schema.enum !== undefined || schema.const !== undefined;
    if (types.includes("string") && !fixed && schema.maxLength === undefined && !BOUNDED_FORMATS.has(schema.format)) {
      problems.push({ message: "request string without maxLength (or enum, const, uuid/date-time format)", path });
    }
    if ((types.includes("integer") || types.includes("number")) && !fixed && schema.maximum === undefined && schema.exclusiveMaximum === undefined) {
      problems.push({ message: "request number without maximum", path });
    }
    if (types.includes("array") && schema.maxItems === undefined) problems.push({ message: "request array without maxItems", path });
    for (const [name, sub] of Object.entries(schema.properties ?? {})) visit(sub, [...path, "properties", name]);
    if (schema.items) visit(schema.items, [...path, "items"]);
    for (const key of ["anyOf", "oneOf", "allOf"]) (schema[key] ?? []).forEach((sub, i) => visit(sub, [...path, key, i]));
  };
  const base = context.path;
  (operation.parameters ?? []).forEach((p, i) => visit(p.schema, [...base, "parameters", i, "schema"]));
  for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
    visit(media.schema, [...base, "requestBody", "content", type, "schema"]);
  }
  return problems;
}

/**
 * The operations routes: probes, the Prometheus scrape and the published documents. They are not
 * counted by the request limiter (src/http/rate-limits.ts: only /v1 is), so they send no RateLimit
 * headers and never 429; and they are public by design (an orchestrator's probe or a client
 * generator holds no token), so they have no security and never 401 (/metrics has its own token).
 */
const OPERATIONS = ["/healthz", "/readyz", "/openapi.json", "/asyncapi.yaml", "/schemas/events/{type}"];
// JSON pointers in URI fragments, as Spectral matches them (braces percent-encoded).
const operations = (...paths) => paths.map((p) => `**/openapi.json#/paths/${encodeURIComponent(p.replaceAll("~", "~0").replaceAll("/", "~1")).replaceAll("%7E", "~")}`);

export default {
  extends: [oas, owasp],
  rules: {
    // Replaced by vcs-request-bounds: limits guard input; answers are what the service itself wrote.
    "owasp:api4:2023-string-limit": "off",
    // Replaced by vcs-request-bounds, for the same reason.
    "owasp:api4:2023-integer-limit": "off",
    // Replaced by vcs-request-bounds, for the same reason.
    "owasp:api4:2023-array-limit": "off",
    // Free text (names, reasons, transcripts) has no pattern by nature; its length is bounded (vcs-request-bounds).
    "owasp:api4:2023-string-restricted": "off",
    // The service answers no CORS (it registers no CORS handling): its pages are served from its own origin.
    "owasp:api8:2023-define-cors-origin": "off",
    // Each deployment serves its own document with a relative server URL, so it names no environment.
    "owasp:api9:2023-inventory-environment": "off",
    "vcs-request-bounds": {
      description: "Request strings, numbers and arrays are bounded (OWASP API4:2023, for input).",
      message: "{{error}}",
      severity: "error",
      given: "$.paths[*][get,put,post,delete,patch]",
      then: { function: requestBounds },
    },
  },
  overrides: [
    {
      files: operations("/metrics", ...OPERATIONS),
      rules: {
        // Not counted by the request limiter (rate-limits.ts counts /v1 only): no RateLimit headers to send.
        "owasp:api4:2023-rate-limit": "off",
        // Not counted, so never answered 429.
        "owasp:api4:2023-rate-limit-responses-429": "off",
      },
    },
    {
      files: operations(...OPERATIONS),
      rules: {
        // Public by design: probes, and the documents a client generator fetches; none carries data of a tenant.
        "owasp:api2:2023-read-restricted": "off",
        // Public, so never 401.
        "owasp:api8:2023-define-error-responses-401": "off",
      },
    },
  ],
};
