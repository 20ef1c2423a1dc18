import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Health URLs are typed in by tenant admins and fetched by this server: without a guard they are a
 * way to probe the operator's internal network (SSRF). Loopback, private, link-local (cloud
 * metadata), CGNAT and unique-local addresses are refused unless the operator allows them.
 */
const internal = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
] as const) {
  internal.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["::ffff:0:0", 96],
] as const) {
  internal.addSubnet(net, bits, "ipv6");
}

/** True when every address the host name resolves to is public. */
export async function resolvesToPublicAddresses(hostname: string): Promise<boolean> {
  const host = hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  return (
    addresses.length > 0 &&
    addresses.every(({ address, family }) => !internal.check(address, family === 6 ? "ipv6" : "ipv4"))
  );
}
