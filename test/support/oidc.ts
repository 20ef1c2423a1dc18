import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair } from "jose";
import Provider, { type KoaContextWithOIDC } from "oidc-provider";
import { freePort } from "./nats.js";

export const RESOURCE = "urn:virtual-care";
export const CLIENT_ID = "vcs-console";

/**
 * A real OpenID Connect provider (node-oidc-provider) on a free port: authorization code + PKCE
 * for the console as a public client, JWT access tokens for the service's audience carrying the
 * staff claims the service reads (tenant_id, roles). Its built-in dev login form accepts any name.
 */
export class LocalOidcProvider {
  private server: Server | null = null;
  private constructor(readonly issuer: string) {}

  static async start(opts: { redirectUri: string; tenantId: string; roles: string[] }): Promise<LocalOidcProvider> {
    const port = await freePort();
    const p = new LocalOidcProvider(`http://127.0.0.1:${port}`);
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };
    const provider = new Provider(p.issuer, {
      clients: [
        { client_id: CLIENT_ID, token_endpoint_auth_method: "none", redirect_uris: [opts.redirectUri], grant_types: ["authorization_code"], response_types: ["code"] },
      ],
      jwks: { keys: [jwk] },
      pkce: { required: () => true },
      scopes: ["openid", "vcs"],
      // The console calls the token endpoint from its own origin.
      clientBasedCORS: () => true,
      findAccount: (_ctx: KoaContextWithOIDC, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
      features: {
        devInteractions: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({ scope: "vcs", audience: RESOURCE, accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } }),
        },
      },
      extraTokenClaims: () => ({ tenant_id: opts.tenantId, roles: opts.roles }),
    });
    p.server = createServer(provider.callback());
    await new Promise<void>((resolve) => p.server!.listen(port, "127.0.0.1", resolve));
    return p;
  }

  get jwksUrl(): string {
    return `${this.issuer}/jwks`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections?.();
  }
}
