import { pathToFileURL } from "node:url";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { Document, Ruleset, Spectral } from "@stoplight/spectral-core";
import spectralParsers from "@stoplight/spectral-parsers";

/** One finding of a linter, reduced to what a failing assertion should show. */
export interface Finding {
  severity: "error" | "warn";
  rule: string;
  where: string;
  message: string;
}

/** Redocly's built-in `recommended` rules (no config file, nothing fetched). */
export async function redoclyLint(doc: object): Promise<Finding[]> {
  const config = await createConfig({ extends: ["recommended"] });
  const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: "/openapi.json", config });
  return problems
    .filter((p) => p.severity === "error" || p.severity === "warn")
    .map((p) => ({
      severity: p.severity as Finding["severity"],
      rule: p.ruleId,
      where: p.location[0]?.pointer ?? "",
      message: p.message,
    }));
}

/** Spectral with the committed ruleset `.spectral.mjs` (spectral:oas + OWASP, documented switch-offs). */
export async function spectralLint(doc: object): Promise<Finding[]> {
  // A runtime import of the committed file, so the CLI and this test read the same ruleset.
  const source = `${process.cwd()}/.spectral.mjs`;
  const { default: definition } = await import(pathToFileURL(source).href);
  const spectral = new Spectral();
  // With its source, as the CLI loads it: the ruleset's per-path overrides match the document by name.
  spectral.setRuleset(new Ruleset(definition, { source }));
  const results = await spectral.run(new Document(JSON.stringify(doc), spectralParsers.Json, `${process.cwd()}/openapi.json`));
  return results
    .filter((r) => r.severity <= 1)
    .map((r) => ({
      severity: r.severity === 0 ? "error" : "warn",
      rule: String(r.code),
      where: `/${r.path.join("/")}`,
      message: r.message,
    }));
}
