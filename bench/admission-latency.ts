// Admission latency as a person sees it: from the clinician's click on "Admit" in the console to
// the video frame present in the patient's page, in a real browser (Debian's Chromium) against
// the real service on PostgreSQL and NATS. Push (SSE) and polling are measured on the same service.
//   npm run bench:admission [-- runs]   (default 50 per transport)
// Both times are taken inside the browser (one process, one clock): the click by a capturing
// listener in the console, the frame by a MutationObserver in the patient's page.
import { startRig, TENANT } from "../test/support/browser.js";
import { percentile } from "./report.js";

const runs = Number(process.argv[2] ?? 50);
const rig = await startRig();
const token = await rig.staffToken();
const consoleCtx = await rig.context();
const patientCtx = await rig.context();
await consoleCtx.addInitScript(() => {
  addEventListener("click", (e) => {
    if ((e.target as HTMLElement).textContent === "Admit") (window as unknown as { __clickAt: number }).__clickAt = performance.timeOrigin + performance.now();
  }, true);
});
await patientCtx.addInitScript(() => {
  new MutationObserver(() => {
    const w = window as unknown as { __frameAt?: number };
    if (!w.__frameAt && document.querySelector("[data-testid=video-frame] iframe")) w.__frameAt = performance.timeOrigin + performance.now();
  }).observe(document, { childList: true, subtree: true });
});
const clinician = await rig.page(consoleCtx);
const patient = await rig.page(patientCtx);
await clinician.goto(`${rig.base}/console?tenant=${TENANT}#token=${token}`);

async function once(transport: "push" | "poll", i: number): Promise<number> {
  const patientId = `bench-${transport}-${i}`;
  const s = (await rig.app.request({ method: "POST", url: "/v1/sessions", token, body: { patientId, providerId: "dr-browser", scheduledStart: new Date().toISOString() } })).json();
  const p = s.participants.find((x: { role: string }) => x.role === "patient");
  const { joinUrl } = (await rig.app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${p.id}/join-token`, token })).json();
  await patient.goto(transport === "poll" ? `${joinUrl}&transport=poll` : joinUrl);
  await patient.getByRole("button", { name: "Continue to the waiting room" }).click();
  await patient.getByRole("heading", { name: "Waiting room" }).waitFor();
  await clinician.goto(`${rig.base}/console?tenant=${TENANT}`);
  await clinician.getByRole("button", { name: `Open ${patientId}` }).click();
  const admit = clinician.locator("[data-status=waiting]").getByRole("button", { name: "Admit" });
  await admit.waitFor();
  // In polling mode the phase of the 2 s poll is random relative to the click, as in real use.
  await admit.click();
  await patient.locator("[data-testid=video-frame] iframe").waitFor();
  const clickAt = await clinician.evaluate(() => (window as unknown as { __clickAt: number }).__clickAt);
  const frameAt = await patient.evaluate(() => (window as unknown as { __frameAt: number }).__frameAt);
  return frameAt - clickAt;
}

const results: Record<string, number[]> = { push: [], poll: [] };
for (const transport of ["push", "poll"] as const) {
  await once(transport, -1); // warm-up, not counted
  for (let i = 0; i < runs; i++) results[transport]!.push(await once(transport, i));
}
await rig.close();

console.log(`admission latency, click → video frame (ms), ${runs} runs each`);
for (const [transport, ms] of Object.entries(results)) {
  const sorted = [...ms].sort((a, b) => a - b);
  console.log(`${transport.padEnd(5)} p50 ${percentile(sorted, 50).toFixed(0).padStart(5)}  p99 ${percentile(sorted, 99).toFixed(0).padStart(5)}  min ${sorted[0]!.toFixed(0)}  max ${sorted.at(-1)!.toFixed(0)}`);
}
