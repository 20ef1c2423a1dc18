import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, STAFF_SECRET, staffToken, type TestApp } from "../support/app.js";

/** Staff bearer tokens are remembered once verified (src/http/auth.ts); these are the rules that must survive that. */
describe("staff bearer tokens accepted earlier (PostgreSQL)", () => {
  let app: TestApp;
  // Staff tokens are judged by the injected clock: expiry is a step of it, not seconds waited.
  const staffClock = new ManualClock(new Date());

  beforeAll(async () => {
    app = await bootApp({ staffTokenClock: staffClock });
    await configureTenant(app, "clinic-a");
    await configureTenant(app, "clinic-b");
  });
  afterAll(() => app.close());

  const tokenExpiringAt = (expSeconds: number) =>
    new SignJWT({ tenant_id: "clinic-a", roles: ["scheduler"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("short-lived")
      .setIssuedAt()
      .setExpirationTime(expSeconds)
      .sign(new TextEncoder().encode(STAFF_SECRET));

  it("when a token that was accepted reaches its expiry, then the next request is refused with 401", async () => {
    const exp = Math.floor(staffClock.now().getTime() / 1000) + 2;
    const token = await tokenExpiringAt(exp);
    const before = await app.request({ method: "GET", url: "/v1/sessions", token });
    expect(before.statusCode, before.body).toBe(200);
    staffClock.set(new Date(exp * 1000)); // a token is expired from its `exp` second on
    const after = await app.request({ method: "GET", url: "/v1/sessions", token });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe("UNAUTHENTICATED");
  });

  it("when an accepted token is altered in its signature, then the altered token is refused", async () => {
    const token = await staffToken("clinic-a", ["scheduler"]);
    expect((await app.request({ method: "GET", url: "/v1/sessions", token })).statusCode).toBe(200);
    // Change the signature's FIRST character: the last one also carries two padding bits, so
    // some changes to it decode to the same signature bytes (the same, valid signature).
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const altered = `${header}.${payload}.${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`;
    const res = await app.request({ method: "GET", url: "/v1/sessions", token: altered });
    expect(res.statusCode).toBe(401);
  });

  it("when tokens of two tenants alternate, then each request still acts for its own tenant", async () => {
    const a = await staffToken("clinic-a", ["scheduler"], "user-a");
    const b = await staffToken("clinic-b", ["scheduler"], "user-b");
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: a, body: sessionBody() });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    for (let i = 0; i < 3; i++) {
      expect((await app.request({ method: "GET", url: `/v1/sessions/${id}`, token: a })).statusCode).toBe(200);
      expect((await app.request({ method: "GET", url: `/v1/sessions/${id}`, token: b })).statusCode).toBe(404);
    }
  });
});
