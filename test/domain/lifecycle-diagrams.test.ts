import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { canMoveParticipant, type ParticipantStatus } from "../../src/domain/participant.js";
import { canTransition, sessionStatuses, type SessionStatus } from "../../src/domain/session-state.js";

const doc = readFileSync("docs/visit-lifecycle.md", "utf8");
const diagrams = [...doc.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);

/** The `from --> to` edges of a Mermaid state diagram, start and end markers left out. */
function edges(diagram: string): Set<string> {
  const found = new Set<string>();
  for (const m of diagram.matchAll(/^\s*(\w+) --> (\w+)/gm)) found.add(`${m[1]} -> ${m[2]}`);
  return found;
}

function allowed<S extends string>(states: readonly S[], can: (a: S, b: S) => boolean): Set<string> {
  const found = new Set<string>();
  for (const a of states) for (const b of states) if (can(a, b)) found.add(`${a} -> ${b}`);
  return found;
}

describe("docs/visit-lifecycle.md", () => {
  it("when a reader follows the visit's diagram, then it draws exactly the transitions the domain allows", () => {
    expect(edges(diagrams[0]!)).toEqual(allowed<SessionStatus>(sessionStatuses, canTransition));
  });

  it("when a reader follows the participant's diagram, then it draws exactly the moves the domain allows", () => {
    const states: ParticipantStatus[] = ["invited", "waiting", "admitted", "removed"];
    expect(edges(diagrams[1]!)).toEqual(allowed(states, canMoveParticipant));
  });
});
