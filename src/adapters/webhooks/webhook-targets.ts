import { randomBytes } from "node:crypto";
import type { WebhookTargets } from "../../features/tenant-config/ports.js";
import { isPublicAddress, resolvesToPublicAddresses, type Resolve } from "../outbound-http/address-guard.js";
import { isIP } from "node:net";

/**
 * The SSRF guard at configuration time (the sender checks again at every connection): https, and
 * a host whose every address is public, unless the operator allows private receivers. The answer
 * names the rule, not what the name resolved to (a tenant admin must not map the network with it).
 */
export class StandardWebhookTargets implements WebhookTargets {
  constructor(
    private readonly allowPrivate: boolean,
    private readonly resolve?: Resolve,
  ) {}

  /** Standard Webhooks: a random secret of 24 to 64 bytes, base64, prefixed `whsec_`. */
  newSecret(): string {
    return `whsec_${randomBytes(32).toString("base64")}`;
  }

  async refusal(url: string): Promise<string | null> {
    if (this.allowPrivate) return null;
    const target = new URL(url);
    if (target.protocol !== "https:") return "must be https";
    const host = target.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host)) return isPublicAddress(host) ? null : "must be a public address (not loopback, private, link-local or metadata)";
    try {
      return (await resolvesToPublicAddresses(host, this.resolve)) ? null : "must resolve to public addresses only (not loopback, private, link-local or metadata)";
    } catch {
      return "the host name does not resolve";
    }
  }
}
