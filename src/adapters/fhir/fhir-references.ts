import { isFhirId } from "../../domain/identifiers.js";

/**
 * FHIR R4 Reference.reference syntax: a relative `Type/id[/_history/vid]` (optionally under an
 * http(s) base), a contained `#id`, or a `urn:uuid:`/`urn:oid:` placeholder. Medplum's validator
 * checks types and cardinality but not this, and a strict server refuses what does not match.
 */
const LITERAL =
  /^((https?:\/\/([A-Za-z0-9\-\\.:%$]*\/)+)?[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?|#[A-Za-z0-9\-.]{1,64}|urn:uuid:[0-9a-f-]{36}|urn:oid:[0-2](\.(0|[1-9][0-9]*))+)$/;

export const isReferenceSyntax = (reference: string): boolean => LITERAL.test(reference);

/** `Type/id` for an id the API already restricted to FHIR id syntax; refuses anything else loudly. */
export function literalReference(type: "Patient" | "Practitioner" | "Encounter", id: string): { reference: string } {
  if (!isFhirId(id)) throw new Error(`${type} id is not a FHIR id (expected [A-Za-z0-9.-]{1,64})`);
  return { reference: `${type}/${id}` };
}

/** Every `reference` string in a resource that breaks the syntax above, with its JSON path. */
export function invalidReferences(resource: unknown): Array<{ path: string; reference: string }> {
  const found: Array<{ path: string; reference: string }> = [];
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${path}[${i}]`));
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === "reference" && typeof value === "string" && !isReferenceSyntax(value)) found.push({ path: `${path}.reference`, reference: value });
        else walk(value, `${path}.${key}`);
      }
    }
  };
  walk(resource, (resource as { resourceType?: string })?.resourceType ?? "$");
  return found;
}
