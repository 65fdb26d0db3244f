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
    return (req) => normalize(req.socket.remoteAddress);
  }
  // proxy-addr asks, hop by hop from the socket outwards, whether to believe the next entry.
  const trusted =
    typeof trust === 'number'
      ? (_address: string, hop: number) => hop < trust
      : proxyaddr.compile(trust);
  return (req) => {
    if (!req.socket.remoteAddress) return undefined;
    try {
      return normalize(proxyaddr(req, trusted));
    } catch {
      return normalize(req.socket.remoteAddress);
    }
  };
}

function normalize(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  try {
    const parsed = ipaddr.process(ip);
    return parsed.toString();
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
    const parsed = ipaddr.parse(ip);
    if (parsed.kind() === 'ipv4') return parsed.toString();
    const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
    return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
  } catch {
    return 'unknown';
  }
}
