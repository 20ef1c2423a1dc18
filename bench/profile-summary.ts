/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per area
 * (package, service folder, Node internals, GC), idle time left out.
 * Standalone: `npx tsx bench/profile-summary.ts <file.cpuprofile> [top]`.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function area(url: string, name: string): string {
  if (!url) return name.startsWith("(") ? name : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
  const own = /\/(dist|src)\/(.*)$/.exec(url);
  if (own?.[2]) return `service ${own[2].split("/").slice(0, -1).join("/") || own[2]}`;
  return url;
}

/** The part of a script URL worth reading: from the package or the service folder on. */
function shortUrl(url: string): string {
  const pkg = url.indexOf("node_modules/");
  if (pkg >= 0) return url.slice(url.lastIndexOf("node_modules/") + "node_modules/".length);
  return url.replace(/^.*\/(dist|src)\//, "$1/");
}

export function summariseProfile(file: string, top = 20): string[] {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") continue;
    busy += us;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : "";
    const key = `${frame.functionName || "(anonymous)"} ${where}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
    const a = area(frame.url, frame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `busy CPU ${(busy / 1e6).toFixed(1)} s (idle excluded)`,
    "top self time by area:",
    ...sorted(areas).map(([k, us]) => `  ${pct(us)}  ${k}`),
    "top self time by function:",
    ...sorted(fns).map(([k, us]) => `  ${pct(us)}  ${k}`),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]");
    process.exit(2);
  }
  console.log(summariseProfile(file, Number(process.argv[3] ?? 25)).join("\n"));
}
