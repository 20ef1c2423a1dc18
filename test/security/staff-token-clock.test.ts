import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { staffAuthenticator } from "../../src/http/auth.js";
import { ManualClock, STAFF_SECRET } from "../support/app.js";

/**
 * Issue 20 item 13, staff JWTs under clock skew between the IdP and a replica: `nbf` gets a small
 * tolerance (an IdP a little ahead must not lock staff out), `exp` none (expired is expired).
 */
describe("staff token times under clock skew", () => {
  const clock = new ManualClock(new Date("2026-12-01T09:00:00Z"));
  const authenticate = staffAuthenticator({ kind: "hs256", secret: STAFF_SECRET }, clock);
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  const sign = (times: { nbf?: number; exp: number }) => {
    const jwt = new SignJWT({ tenant_id: "skew", roles: ["clinician"] }).setProtectedHeader({ alg: "HS256" }).setSubject("u").setExpirationTime(times.exp);
    if (times.nbf !== undefined) jwt.setNotBefore(times.nbf);
    return jwt.sign(new TextEncoder().encode(STAFF_SECRET));
  };
  const outcome = async (token: string) =>
    authenticate(`Bearer ${token}`).then(
      () => "accepted",
      (err: { code?: string }) => err.code ?? "error",
    );

  it("when the IdP's clock is 30 s ahead (nbf 30 s in the future), then a fresh token is accepted", async () => {
    expect(await outcome(await sign({ nbf: nowSeconds() + 30, exp: nowSeconds() + 3600 }))).toBe("accepted");
  });

  it("when a token is not valid for another 5 minutes, then it is refused", async () => {
    expect(await outcome(await sign({ nbf: nowSeconds() + 300, exp: nowSeconds() + 3600 }))).toBe("UNAUTHENTICATED");
  });

  it("when a token expired seconds ago, then it is refused: exp gets no tolerance", async () => {
    expect(await outcome(await sign({ exp: nowSeconds() - 5 }))).toBe("UNAUTHENTICATED");
    expect(await outcome(await sign({ exp: nowSeconds() - 50 }))).toBe("UNAUTHENTICATED");
  });
});
