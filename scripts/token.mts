// Mints a staff bearer token (HS256) for trying the API by hand, in either mode:
//   npm run token -- --tenant acme --roles clinician,admin [--sub dr-who] [--hours 8]
// PostgreSQL mode: signs with AUTH_HS256_SECRET (and sets AUTH_ISSUER / AUTH_AUDIENCE when they are
// set), as the service verifies. Embedded quick start: signs with the dev secret `npm start` keeps
// in DATA_DIR. Prints the token alone on stdout, so `TOKEN=$(npm run -s token -- …)` works.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";

const ROLES = ["clinician", "scheduler", "admin", "platform_admin"];
const { values } = parseArgs({
  options: {
    tenant: { type: "string" },
    roles: { type: "string", default: "clinician,scheduler,admin" },
    sub: { type: "string", default: "cli-user" },
    hours: { type: "string", default: "8" },
  },
});

function fail(message: string): never {
  console.error(`token: ${message}`);
  process.exit(2);
}

if (!values.tenant) fail("--tenant is required (the tenant id the token acts in)");
const roles = values.roles!.split(",").map((r) => r.trim()).filter(Boolean);
const unknown = roles.filter((r) => !ROLES.includes(r));
if (unknown.length) fail(`unknown role(s) ${unknown.join(", ")}; roles are ${ROLES.join(", ")}`);
const hours = Number(values.hours);
// The service refuses staff tokens that live longer than 24 hours.
if (!Number.isFinite(hours) || hours <= 0 || hours > 24) fail("--hours must be between 0 and 24");

function signingSecret(): string {
  if (process.env.AUTH_HS256_SECRET) return process.env.AUTH_HS256_SECRET;
  if (process.env.AUTH_JWKS_URL) fail("AUTH_JWKS_URL is set: tokens come from your identity provider, not from this script");
  const file = join(process.env.DATA_DIR ?? "./data", "dev-keys", "auth-hs256-secret");
  if (!existsSync(file)) fail(`no AUTH_HS256_SECRET and no dev secret at ${file}: set AUTH_HS256_SECRET as the service has it, or run npm start once`);
  // The service uses the dev key's bytes, base64url-encoded, as its HS256 secret.
  return Buffer.from(readFileSync(file, "utf8").trim(), "base64").toString("base64url");
}

let jwt = new SignJWT({ tenant_id: values.tenant, roles })
  .setProtectedHeader({ alg: "HS256" })
  .setSubject(values.sub!)
  .setIssuedAt()
  .setExpirationTime(`${hours}h`);
if (process.env.AUTH_ISSUER) jwt = jwt.setIssuer(process.env.AUTH_ISSUER);
if (process.env.AUTH_AUDIENCE) jwt = jwt.setAudience(process.env.AUTH_AUDIENCE);
console.log(await jwt.sign(new TextEncoder().encode(signingSecret())));
