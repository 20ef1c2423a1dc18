import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, STAFF_SECRET, staffToken, type TestApp } from "../../support/app.js";
import { verifyVideoUrl } from "../../support/join.js";

const DOMAIN = "primary.meet.example.org";

/** A staff token as an OpenID provider would issue it, with the person's `name`. */
const namedStaffToken = (sub: string, name: unknown) =>
  new SignJWT({ tenant_id: "clinic-names", roles: ["clinician", "scheduler"], name })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(STAFF_SECRET));

/** Issue 19 item 6: the names people know each other by reach Jitsi (its JWT's context.user.name). */
describe("video: display names in the Jitsi JWT", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "clinic-names");
  });
  afterAll(() => app.close());

  /** Creates a visit as `staff`, admits the patient, and returns the names in both video JWTs. */
  const videoNames = async (staff: string, body: Record<string, unknown>) => {
    const s = (await app.request({ method: "POST", url: "/v1/sessions", token: staff, body: { scheduledStart: new Date().toISOString(), ...body } })).json();
    const tokenOf = async (role: string) => {
      const p = s.participants.find((x: { role: string }) => x.role === role);
      return { id: p.id as string, token: (await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${p.id}/join-token`, token: staff })).json().token as string };
    };
    const patient = await tokenOf("patient");
    const clinician = await tokenOf("clinician");
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token: patient.token } });
    const admitted = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${patient.id}/admit`, token: staff });
    expect(admitted.statusCode).toBe(200);
    const direct = (await app.request({ method: "POST", url: "/v1/join/validate", body: { token: clinician.token } })).json();
    const nameIn = async (url: string) => (await verifyVideoUrl(url, { domain: DOMAIN, at: new Date() })).payload.context?.user?.name;
    return { patient: await nameIn(admitted.json().videoJoinUrl), clinician: await nameIn(direct.videoJoinUrl) };
  };

  it("when a clinician books their own visit, then the video shows the name their sign-in carries, and the patient's given name", async () => {
    const staff = await namedStaffToken("dr-ana", "Dr. Ana  Ruiz");
    const names = await videoNames(staff, { patientId: "patient-n1", providerId: "dr-ana", participants: [{ role: "patient", displayName: "Juan Pérez" }] });
    expect(names).toEqual({ patient: "Juan Pérez", clinician: "Dr. Ana Ruiz" });
  });

  it("when someone else books it, or the sign-in carries no usable name, then the clinician is not given a stranger's name", async () => {
    const scheduler = await namedStaffToken("front-desk-1", "Mia Front Desk");
    expect((await videoNames(scheduler, { patientId: "patient-n2", providerId: "dr-ana" })).clinician).toBe("Clinician");
    const controlChars = await namedStaffToken("dr-ana", "Dr. Ana\u202e");
    expect((await videoNames(controlChars, { patientId: "patient-n3", providerId: "dr-ana" })).clinician).toBe("Clinician");
    const unnamed = await staffToken("clinic-names", ["clinician", "scheduler"], "dr-ana");
    expect((await videoNames(unnamed, { patientId: "patient-n4", providerId: "dr-ana" })).clinician).toBe("Clinician");
  });
});
