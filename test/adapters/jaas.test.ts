import { generateKeyPairSync, randomBytes } from "node:crypto";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { rsaPrivateKeyPem } from "../../src/adapters/jitsi/jaas.js";
import { JitsiMeetAdapter } from "../../src/adapters/jitsi/jitsi-meet.js";
import { LocalKmsSecretStore } from "../../src/adapters/kms/local-kms-secret-store.js";
import { defaultTenantConfig } from "../../src/domain/tenant-config.js";
import { videoJoinUrl } from "../../src/platform/video-access.js";

/**
 * The JaaS token as 8x8's "Jitsi JSON Web Token" page asks for it (issue 21 item 5), verified with
 * jose against the API key's public key, as 8x8 verifies it with the uploaded public key.
 */
describe("JaaS (8x8 Jitsi as a Service) video JWT", () => {
  const appId = "vpaas-magic-cookie-1fc542a3e4414a44b2611668195e2bfe";
  const keyId = `${appId}/4f4910`;
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kms = new LocalKmsSecretStore(randomBytes(32));
  const adapter = new JitsiMeetAdapter(kms);
  const scheduledEnd = new Date("2026-12-01T10:30:00.900Z");
  const now = new Date("2026-12-01T09:00:00.400Z");

  const link = async (role: "clinician" | "patient") => {
    const pem = rsaPrivateKeyPem(privateKey.export({ type: "pkcs8", format: "pem" }).toString())!;
    const backend = { name: "jaas", provider: "jaas" as const, domain: "8x8.vc", appId, keyId, secretEnvelope: await kms.seal(pem, "clinic-jaas"), healthUrl: null, maxConcurrentRooms: null };
    const url = await videoJoinUrl(adapter, {
      tenantId: "clinic-jaas",
      config: { ...defaultTenantConfig("clinic-jaas"), licensed: true, videoBackends: [backend] },
      video: { backend: "jaas", provider: "jaas", domain: "8x8.vc", roomName: "vc-0123abcd" },
      scheduledEnd,
      participant: { id: `p-${role}`, role, displayName: role === "clinician" ? "Dr Who" : "Pat" },
      now,
    });
    const jwt = new URL(url).searchParams.get("jwt")!;
    const verified = await jwtVerify(jwt, publicKey, { algorithms: ["RS256"], audience: "jitsi", issuer: "chat", subject: appId, currentDate: now });
    return { url: new URL(url), header: decodeProtectedHeader(jwt), payload: verified.payload as Record<string, unknown> & { context: { user: Record<string, unknown>; features: Record<string, unknown> } } };
  };

  it("when a clinician's link is signed, then it is RS256 with the API key id as kid, aud jitsi, iss chat, sub the AppID and the room inside the app", async () => {
    const { url, header, payload } = await link("clinician");
    expect(header).toEqual({ alg: "RS256", kid: keyId, typ: "JWT" });
    expect(payload).toMatchObject({ aud: "jitsi", iss: "chat", sub: appId, room: "vc-0123abcd" });
    // The meeting is <AppID>/<room> on 8x8.vc (8x8's IFrame API takes the same two-part room name).
    expect(url.origin).toBe("https://8x8.vc");
    expect(url.pathname).toBe(`/${appId}/vc-0123abcd`);
  });

  it("when links are signed, then moderator is the string 'true' for the clinician only, and every feature is a string 'false'", async () => {
    const clinician = (await link("clinician")).payload.context;
    const patient = (await link("patient")).payload.context;
    expect(clinician.user).toEqual({ id: "p-clinician", name: "Dr Who", moderator: "true" });
    expect(patient.user).toEqual({ id: "p-patient", name: "Pat", moderator: "false" });
    expect(Object.keys(clinician.features).sort()).toEqual(["inbound-call", "livestreaming", "outbound-call", "recording", "sip-inbound-call", "sip-outbound-call", "transcription"]);
    expect(new Set(Object.values(clinician.features))).toEqual(new Set(["false"]));
  });

  it("when the scheduled end falls mid-second, then nbf is a minute back, exp not before scheduledEnd + 1 h (as for self-hosted Jitsi)", async () => {
    const { payload } = await link("patient");
    expect(payload.nbf).toBe(Math.floor(now.getTime() / 1000) - 60);
    expect(payload.exp).toBe(Math.ceil((scheduledEnd.getTime() + 3_600_000) / 1000));
  });

  it("when a private key is read, then RSA in PKCS#8 or PKCS#1 is kept as PKCS#8, and a public, EC, short or broken key is refused", () => {
    const pkcs1 = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    expect(rsaPrivateKeyPem(pkcs1)).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(rsaPrivateKeyPem(publicKey.export({ type: "spki", format: "pem" }).toString())).toBeNull();
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(rsaPrivateKeyPem(ec)).toBeNull();
    const short = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(rsaPrivateKeyPem(short)).toBeNull();
    expect(rsaPrivateKeyPem("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----")).toBeNull();
  });
});
