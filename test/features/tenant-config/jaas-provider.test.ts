import { generateKeyPairSync } from "node:crypto";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { sql } from "../../support/join.js";
import { StubServer } from "../../support/stub-server.js";

/**
 * JaaS as a second video provider (issue 21 item 5): configured through the tenant config with its
 * private key write-only and sealed, chosen by the same failover as self-hosted Jitsi, and the
 * admitted patient's link opens <AppID>/<room> on 8x8.vc with an RS256 token 8x8 can verify.
 */
describe("JaaS video backend through the API (PostgreSQL)", () => {
  let app: TestApp;
  const appId = "vpaas-magic-cookie-0123456789abcdef0123456789abcdef";
  const keyId = `${appId}/a1b2c3`;
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const sick = new StubServer((_req, res) => {
    res.writeHead(503);
    res.end();
  });
  const jaas = (extra: Record<string, unknown> = {}) => ({ name: "jaas", provider: "jaas", appId, keyId, privateKey: pem, ...extra });
  const put = async (tenant: string, backends: unknown[], token?: string) =>
    app.request({
      method: "PUT",
      url: "/v1/tenant-config",
      token: token ?? (await staffToken(tenant, ["admin", "platform_admin"])),
      body: { licensed: true, consentRequired: false, videoBackends: backends },
    });

  beforeAll(async () => {
    app = await bootApp();
    await sick.start();
  });
  afterAll(async () => {
    await sick.stop();
    await app?.close();
  });

  it("when an admin saves a JaaS backend, then the domain defaults to 8x8.vc, the key reads back redacted and is stored sealed, and the event has no key", async () => {
    const saved = await put("jaas-config", [jaas()]);
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().videoBackends).toEqual([{ name: "jaas", provider: "jaas", domain: "8x8.vc", appId, keyId, privateKey: "[REDACTED]", healthUrl: null, maxConcurrentRooms: null }]);
    const read = await app.request({ method: "GET", url: "/v1/tenant-config", token: await staffToken("jaas-config", ["admin"]) });
    expect(read.json().videoBackends[0].privateKey).toBe("[REDACTED]");
    const body = pem.split("\n")[1]!;
    const stored = await sql<{ config: string }>(app, "select config::text as config from tenant_configs where tenant_id = 'jaas-config'");
    expect(stored[0]!.config).not.toContain(body);
    const events = await sql<{ data: string }>(app, "select data::text as data from virtual_care_outbox where tenant_id = 'jaas-config' and type = 'virtualcare.tenant_config.updated.v1'");
    expect(events).toHaveLength(1);
    expect(events[0]!.data).not.toContain("privateKey");
    expect(JSON.parse(events[0]!.data).videoBackends[0]).toMatchObject({ provider: "jaas", appId, keyId });

    // GET → PUT round trip keeps the sealed key ("[REDACTED]" or no key at all).
    const again = await put("jaas-config", [{ ...jaas(), privateKey: "[REDACTED]" }]);
    expect(again.statusCode, again.body).toBe(200);
    const { privateKey: _omitted, ...withoutKey } = jaas();
    expect((await put("jaas-config", [withoutKey])).statusCode).toBe(200);
  });

  it("when the AppID, key id or key is not what JaaS issues, or a new backend has no key, then 400 naming the field", async () => {
    const refused = async (backend: Record<string, unknown>, path: string) => {
      const res = await put("jaas-refusals", [backend]);
      expect(res.statusCode, JSON.stringify(backend)).toBe(400);
      expect(res.json().code).toBe("VALIDATION_FAILED");
      expect(JSON.stringify(res.json().errors)).toContain(path);
    };
    await refused(jaas({ appId: "my-app" }), "/videoBackends/0/appId");
    await refused(jaas({ keyId: "vpaas-magic-cookie-ffffffffffffffffffffffffffffffff/a1b2c3" }), "/videoBackends/0/keyId");
    await refused(jaas({ privateKey: publicKey.export({ type: "spki", format: "pem" }).toString() }), "/videoBackends/0/privateKey");
    const { privateKey: _none, ...keyless } = jaas();
    await refused(keyless, "/videoBackends/0/privateKey");
    // A Jitsi backend's stored secret is no JaaS key: switching provider needs the key.
    expect((await put("jaas-refusals", [{ name: "b", provider: "jitsi", domain: "meet.example.org", appId: "x", secret: "0123456789abcdef0123" }])).statusCode).toBe(200);
    await refused({ ...keyless, name: "b" }, "/videoBackends/0/privateKey");
  });

  it("when the primary self-hosted backend is down, then the visit fails over to JaaS and the admitted patient's link opens <AppID>/<room> on 8x8.vc with a verifiable RS256 token", async () => {
    const tenant = "jaas-visit";
    const saved = await put(tenant, [{ name: "own", provider: "jitsi", domain: "meet.example.org", appId: "x", secret: "0123456789abcdef0123", healthUrl: `${sick.url}/about/health` }, jaas()]);
    expect(saved.statusCode, saved.body).toBe(200);
    const staff = await staffToken(tenant, ["clinician"]);
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: staff, body: sessionBody() });
    expect(created.statusCode, created.body).toBe(201);
    const session = created.json();
    expect(session.video).toMatchObject({ backend: "jaas", provider: "jaas", domain: "8x8.vc" });
    // Read back from the database, not only the create's answer.
    expect((await app.request({ method: "GET", url: `/v1/sessions/${session.id}`, token: staff })).json().video.provider).toBe("jaas");

    const patient = session.participants.find((p: { role: string }) => p.role === "patient");
    const token = (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${patient.id}/join-token`, token: staff })).json().token;
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token } });
    const admitted = await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${patient.id}/admit`, token: staff });
    expect(admitted.statusCode, admitted.body).toBe(200);
    const url = new URL(admitted.json().videoJoinUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`https://8x8.vc/${appId}/${session.video.roomName}`);
    const jwt = url.searchParams.get("jwt")!;
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: "RS256", kid: keyId });
    const { payload } = await jwtVerify(jwt, publicKey, { algorithms: ["RS256"], audience: "jitsi", issuer: "chat", subject: appId });
    expect(payload).toMatchObject({ room: session.video.roomName, context: { user: { id: patient.id, moderator: "false" } } });
  });
});
