import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Health URLs and webhook URLs are typed in by tenant admins and called by this server: without a
 * guard they are a way to probe the operator's internal network (SSRF). Only globally routable unicast addresses
 * pass (ipaddr.js classifies them); IPv6 forms that embed an IPv4 address (mapped, compatible
 * `::/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the IPv4 address they carry;
 * Teredo hides its target and is refused.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv4") return parsed.range() === "unicast";
  const v6 = parsed as ipaddr.IPv6;
  const embedded = embeddedIpv4(v6);
  if (embedded) return embedded.range() === "unicast";
  return v6.range() === "unicast";
}

function embeddedIpv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const b = v6.toByteArray();
  const range = v6.range();
  if (range === "ipv4Mapped" || range === "rfc6052" || range === "rfc6145" || b.slice(0, 12).every((x) => x === 0)) {
    return new ipaddr.IPv4(b.slice(12, 16));
  }
  if (range === "6to4") return new ipaddr.IPv4(b.slice(2, 6));
  return null;
}

export type Resolve = (hostname: string) => Promise<Array<{ address: string; family: number }>>;
const systemResolve: Resolve = (host) => dnsLookup(host, { all: true, verbatim: true });

/** True when every address the host name resolves to is public. */
export async function resolvesToPublicAddresses(hostname: string, resolve: Resolve = systemResolve): Promise<boolean> {
  const host = hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [{ address: host }] : await resolve(host);
  return addresses.length > 0 && addresses.every(({ address }) => isPublicAddress(address));
}

export class AddressRefused extends Error {
  override name = "AddressRefused";
}

/**
 * `GET url` that connects only to an address it has checked: the socket's own DNS lookup is the
 * guarded one, so a name that answers a public address to a check and a private one to the
 * connection (DNS rebinding) cannot slip through. Redirects are not followed. Answers the status.
 */
export async function guardedGet(url: string, options: { timeoutMs: number; allowPrivate: boolean; resolve?: Resolve; headers?: Record<string, string> }): Promise<number> {
  return (await guardedRequest(url, { ...options, method: "GET" })).status;
}

export interface GuardedRequest {
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  allowPrivate: boolean;
  resolve?: Resolve;
}

/**
 * A request that connects only to addresses the guard passed (checked in the socket's own lookup,
 * so DNS rebinding cannot slip through). Redirects are not followed. Answers the status and the
 * headers; the body is never read (a slow or endless one must not hold the socket).
 */
export function guardedRequest(url: string, options: GuardedRequest): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  const target = new URL(url);
  const resolve = options.resolve ?? systemResolve;
  const literal = target.hostname.replace(/^\[|\]$/g, "");
  if (isIP(literal) && !options.allowPrivate && !isPublicAddress(literal)) return Promise.reject(new AddressRefused());
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname).then(
      (all) => {
        if (all.length === 0 || (!options.allowPrivate && !all.every(({ address }) => isPublicAddress(address)))) {
          callback(new AddressRefused(), "", 4);
        } else if (lookupOptions.all) {
          (callback as unknown as (e: null, a: typeof all) => void)(null, all);
        } else {
          callback(null, all[0]!.address, all[0]!.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, "", 4),
    );
  };
  const requestOptions: RequestOptions = { method: options.method, headers: options.headers, lookup, signal: AbortSignal.timeout(options.timeoutMs) };
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolvePromise, reject) => {
    const req = send(target, requestOptions, (res) => {
      res.destroy();
      resolvePromise({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on("error", reject);
    req.end(options.body);
  });
}
