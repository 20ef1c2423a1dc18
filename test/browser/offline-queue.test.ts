import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureTenant, staffToken } from "../support/app.js";
import { sql } from "../support/join.js";
import { startRig, type Rig } from "../support/browser.js";

const CLINIC_TWO = "second-clinic";

/**
 * Issue 20 item 2: one phone, two join links (a family's shared phone). What patient A queued
 * offline belongs to A's visit: B's link never shows it, never sends it; only A's link does.
 */
describe("Browser: the offline queue on a shared phone", () => {
  let rig: Rig;
  let clinicOne: string;
  let clinicTwo: string;
  beforeAll(async () => {
    rig = await startRig();
    clinicOne = await rig.staffToken();
    await configureTenant(rig.app, CLINIC_TWO, { videoBackends: [{ name: "primary", domain: "video.second.example" }] });
    clinicTwo = await staffToken(CLINIC_TWO, ["clinician", "scheduler"], "dr-two");
  });
  afterAll(() => rig?.close());

  /** A visit already moved to writing, and its patient's join link. */
  const writtenVisit = async (staff: string, patientId: string) => {
    const s = (await rig.app.request({ method: "POST", url: "/v1/sessions", token: staff, body: { patientId, providerId: "dr-browser", scheduledStart: new Date().toISOString() } })).json();
    const p = s.participants.find((x: { role: string }) => x.role === "patient");
    await rig.app.request({ method: "POST", url: `/v1/sessions/${s.id}/fallback`, token: staff, body: { reason: "poor connection" } });
    const { joinUrl } = (await rig.app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${p.id}/join-token`, token: staff })).json();
    return { id: s.id as string, participantId: p.id as string, joinUrl: joinUrl as string };
  };
  const texts = (sessionId: string) => sql<{ text: string }>(rig.app, "select text from async_visits where session_id = $1 order by submitted_at", [sessionId]).then((r) => r.map((x) => x.text));

  it("when A queues a message offline and B's link of another clinic is opened online, then nothing of A's reaches B's clinic or B's screen, and A's link sends it", async () => {
    const a = await writtenVisit(clinicOne, "patient-a-shared-phone");
    const b = await writtenVisit(clinicTwo, "patient-b-shared-phone");
    const phone = await rig.context();
    const sent: Array<{ token: string; key: string }> = [];
    phone.on("request", (req) => {
      if (req.url().endsWith("/v1/async-visits") && req.method() === "POST") sent.push({ token: req.headers()["x-join-token"] ?? "", key: req.headers()["idempotency-key"] ?? "" });
    });

    const pageA = await rig.page(phone);
    await pageA.goto(a.joinUrl);
    await pageA.getByLabel("Your message").fill("A: my chest hurts when I climb stairs.");
    await phone.setOffline(true);
    await pageA.getByRole("button", { name: "Send" }).click();
    await pageA.getByText(/You are offline/).waitFor();
    // The queued state says what waits and that it sends itself.
    const queued = pageA.getByTestId("queued");
    await queued.getByText("A: my chest hurts when I climb stairs.").waitFor();
    expect(await queued.getByRole("heading").textContent()).toBe("Waiting to be sent: 1");
    expect(await queued.textContent()).toContain("It sends itself as soon as you are online again");
    expect(await pageA.getByLabel("Your message").inputValue()).toBe("");
    expect(await rig.axe(pageA)).toEqual([]);
    await rig.screenshot(pageA, "patient-fallback-queued-list");
    await pageA.close();

    // Back online, the phone opens B's link (another clinic) and B writes.
    await phone.setOffline(false);
    const pageB = await rig.page(phone);
    await pageB.goto(b.joinUrl);
    await pageB.getByLabel("Your message").fill("B: a question about my prescription.");
    expect(await pageB.getByTestId("queued").count()).toBe(0);
    expect(await pageB.getByText("A: my chest hurts").count()).toBe(0);
    await pageB.getByRole("button", { name: "Send" }).click();
    await pageB.getByText("Thank you: your clinician has received your message.").waitFor({ timeout: 30_000 });
    // Reopened, B's page still has nothing of A's to send (its flush on load ran to the end).
    await pageB.reload();
    await pageB.getByRole("heading", { name: "Send your question in writing" }).waitFor();
    expect(await pageB.getByTestId("queued").count()).toBe(0);
    await pageB.close();
    expect(await texts(b.id)).toEqual(["B: a question about my prescription."]);
    const tokenB = new URL(b.joinUrl).searchParams.get("token");
    expect(sent.filter((s) => s.token === tokenB)).toHaveLength(1);

    // A's own link sends it, once, into A's visit.
    const again = await rig.page(phone);
    await again.goto(a.joinUrl);
    await again.getByText("Thank you: your clinician has received your message.").waitFor({ timeout: 30_000 });
    expect(await texts(a.id)).toEqual(["A: my chest hurts when I climb stairs."]);
    expect(await sql(rig.app, "select count(*)::int as n from async_visits where text like 'A:%'")).toEqual([{ n: 1 }]);
    expect(await again.getByTestId("queued").count()).toBe(0);
    expect(phone.cspViolations).toEqual([]);
  }, 120_000);

  it("when the patient of a queued message is removed from the visit, then opening its link removes the message from the phone unsent", async () => {
    const a = await writtenVisit(clinicOne, "patient-removed-queue");
    const phone = await rig.context();
    const page = await rig.page(phone);
    await page.goto(a.joinUrl);
    await page.getByLabel("Your message").fill("A message from someone about to be removed.");
    await phone.setOffline(true);
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByTestId("queued").waitFor();
    await page.close();
    const removal = await rig.app.request({ method: "DELETE", url: `/v1/sessions/${a.id}/participants/${a.participantId}`, token: clinicOne });
    expect(removal.statusCode).toBeLessThan(300);
    await phone.setOffline(false);

    const reopened = await rig.page(phone);
    await reopened.goto(a.joinUrl);
    // Whichever screen the page shows (the refusal, or the form whose resend the service refuses,
    // saying so without a false "try again"), the phone keeps nothing of it.
    await reopened.locator("[data-screen=refused-removed]").or(reopened.getByText("could not be delivered: the clinic no longer accepts it")).waitFor();
    // What IndexedDB still holds for this origin, read as the page would.
    const left = () =>
      reopened.evaluate(
        () =>
          new Promise<number>((resolve, reject) => {
            const req = indexedDB.open("virtual-care");
            req.onsuccess = () => {
              const db = req.result;
              const count = db.transaction("outbox").objectStore("outbox").count();
              count.onsuccess = () => (db.close(), resolve(count.result));
              count.onerror = () => reject(count.error);
            };
            req.onerror = () => reject(req.error);
          }),
      );
    await expect.poll(left).toBe(0);
    expect(await texts(a.id)).toEqual([]);
  }, 90_000);
});

