import { randomBytes } from "node:crypto";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { JitsiMeetAdapter } from "../../src/adapters/jitsi/jitsi-meet.js";
import { LocalKmsSecretStore } from "../../src/adapters/kms/local-kms-secret-store.js";
import { defaultTenantConfig } from "../../src/domain/tenant-config.js";
import { videoJoinUrl } from "../../src/platform/video-access.js";

/**
 * The Jitsi JWT as Jitsi's prosody token module reads it (contract §5, Jitsi's token docs), with
 * times that are not on a second boundary: that is where rounding decides whether a reconnect at
 * scheduledEnd + 1 h still works.
 */
describe("Jitsi video JWT claims", () => {
  const secret = "backend-secret-0123456789abcdef";
  const kms = new LocalKmsSecretStore(randomBytes(32));
  const adapter = new JitsiMeetAdapter(kms);

  const signLink = async (domain: string, now: Date, scheduledEnd: Date) => {
    const config = {
      ...defaultTenantConfig("clinic-jwt"),
      licensed: true,
      videoBackends: [
        { name: "primary", provider: "jitsi" as const, domain, appId: "vcs-app", secretEnvelope: await kms.seal(secret, "clinic-jwt"), healthUrl: null, maxConcurrentRooms: null },
      ],
    };
    const url = await videoJoinUrl(adapter, {
      tenantId: "clinic-jwt",
      config,
      video: { backend: "primary", provider: "jitsi", domain, roomName: "vc-room" },
      scheduledEnd,
      participant: { id: "p-1", role: "patient", displayName: "Pat" },
      now,
    });
    const jwt = new URL(url).searchParams.get("jwt")!;
    // Still accepted one millisecond before the moment the contract promises (scheduledEnd + 1 h);
    // a JWT is refused from its `exp` second on (RFC 7519), so that is the last instant to check.
    const { payload } = await jwtVerify(jwt, new TextEncoder().encode(secret), {
      algorithms: ["HS256"],
      audience: "jitsi",
      issuer: "vcs-app",
      currentDate: new Date(scheduledEnd.getTime() + 3_600_000 - 1),
    });
    return { url, payload };
  };

  it("when the scheduled end falls mid-second, then exp is not earlier than scheduledEnd + 1 h (rounded up, not down)", async () => {
    const scheduledEnd = new Date("2026-12-01T10:30:00.900Z");
    const { payload } = await signLink("meet.example.org", new Date("2026-12-01T09:00:00.400Z"), scheduledEnd);
    expect(payload.exp! * 1000).toBeGreaterThanOrEqual(scheduledEnd.getTime() + 3_600_000);
    expect(payload.exp).toBe(Math.ceil((scheduledEnd.getTime() + 3_600_000) / 1000));
  });

  it("when a link is signed, then iat is the issue time and nbf a minute earlier (the Jitsi host's clock may lag)", async () => {
    const now = new Date("2026-12-01T09:00:00.400Z");
    const { payload } = await signLink("meet.example.org", now, new Date("2026-12-01T09:30:00Z"));
    expect(payload.iat).toBe(Math.floor(now.getTime() / 1000));
    expect(payload.nbf).toBe(Math.floor(now.getTime() / 1000) - 60);
  });

  it("when the backend domain is configured in mixed case, then sub is the lower-case domain Jitsi compares against", async () => {
    const { url, payload } = await signLink("Meet.Example.ORG", new Date("2026-12-01T09:00:00Z"), new Date("2026-12-01T09:30:00Z"));
    expect(payload.sub).toBe("meet.example.org");
    expect(payload).toMatchObject({ aud: "jitsi", iss: "vcs-app", room: "vc-room" });
    expect(new URL(url).hostname).toBe("meet.example.org");
  });
});
