import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from './env.js';

/**
 * Builds the rule for `X-Forwarded-For`: with `false` only the socket's address counts; with a
 * number, that many proxy hops (the right-most entries, which our own proxies appended) are
 * skipped; with a list, entries are believed only while they come from those proxies. Entries a
 * client wrote itself, left of the trusted hops, are never taken.
 */
export function createClientIp(trust: TrustProxy): (req: IncomingMessage) => string | undefined {
  if (trust === false || trust === 0) {
    return (req) => normalize(remoteAddress(req));
  }
  // proxy-addr asks, hop by hop from the socket outwards, whether to believe the next entry.
  const trusted =
    typeof trust === 'number'
      ? (_address: string, hop: number) => hop < trust
      : proxyaddr.compile(trust);
  return (req) => {
    const socketAddress = remoteAddress(req);
    if (!socketAddress) return undefined;
    // What proxy-addr reads, with the address noted on arrival (the socket may be gone since).
    const view = {
      headers: req.headers,
      connection: { remoteAddress: socketAddress },
      socket: { remoteAddress: socketAddress },
    } as unknown as IncomingMessage;
    try {
      // An entry that is no address (garbage, or a proxy that appends a port we cannot read)
      // falls back to the socket's: never one shared "unknown" bucket for everyone.
      return normalize(proxyaddr(view, trusted)) ?? normalize(socketAddress);
    } catch {
      return normalize(socketAddress);
    }
  };
}

const arrived = new WeakMap<IncomingMessage, string | undefined>();

/**
 * Notes the peer's address as the request arrives: a client that resets its connection before
 * the handler reads `req.socket.remoteAddress` must not leave the request without one.
 */
export function noteRemoteAddress(req: IncomingMessage): void {
  arrived.set(req, req.socket.remoteAddress);
}

function remoteAddress(req: IncomingMessage): string | undefined {
  return arrived.get(req) ?? req.socket.remoteAddress;
}

/** An address as written by proxies: bare, `[v6]`, `v4:port` or `[v6]:port`. */
function normalize(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const bare = /^\[([^\]]+)\](?::\d+)?$/.exec(ip)?.[1] ?? /^([\d.]+):\d+$/.exec(ip)?.[1] ?? ip;
  try {
    return ipaddr.process(bare).toString();
  } catch {
    return undefined;
  }
}

/**
 * The subject an IP rate limit counts: an IPv4 address as it is, an IPv6 address by its /64 (one
 * customer's allocation holds 2^64 addresses, so a full address would be no limit at all).
 */
export function rateLimitSubject(ip: string | undefined): string {
  if (!ip) return 'unknown';
  try {
    // `process` turns an IPv4-mapped address (a dual-stack socket's ::ffff:a.b.c.d) into IPv4:
    // keyed by its /64, every IPv4 client would share one budget.
    const parsed = ipaddr.process(ip);
    if (parsed.kind() === 'ipv4') return parsed.toString();
    const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
    return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
  } catch {
    return 'unknown';
  }
}

/**
 * The network an address belongs to, for the security log's `new-network` flag (SPEC §10): the
 * /16 of an IPv4 address, the /48 of an IPv6 one (a site's allocation).
 */
export function networkOf(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  try {
    const parsed = ipaddr.process(ip);
    if (parsed.kind() === 'ipv4') {
      const [a, b] = (parsed as ipaddr.IPv4).octets;
      return `${a}.${b}.0.0/16`;
    }
    const parts = (parsed as ipaddr.IPv6).parts.slice(0, 3);
    return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0, 0]).toString()}/48`;
  } catch {
    return undefined;
  }
}
