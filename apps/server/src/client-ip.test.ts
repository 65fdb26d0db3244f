import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createClientIp, networkOf, rateLimitSubject } from './client-ip.js';
import { parseEnv } from './env.js';

/** A request as node:http hands it over: the socket's address and the proxy's header. */
function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  return {
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    socket: { remoteAddress },
  } as unknown as IncomingMessage;
}

const ipWith = (trustProxy: string) =>
  createClientIp(parseEnv({ TRUST_PROXY: trustProxy }).TRUST_PROXY);

describe('client IP (SPEC §6.1 TRUST_PROXY)', () => {
  it('false: the socket address, whatever X-Forwarded-For claims', () => {
    expect(ipWith('false')(request('127.0.0.1', '203.0.113.9'))).toBe('127.0.0.1');
    expect(ipWith('false')(request('::ffff:10.1.2.3'))).toBe('10.1.2.3');
  });

  it('true / a number: that many proxy hops from the right, never a client-written entry', () => {
    expect(ipWith('true')(request('127.0.0.1', '198.51.100.1, 203.0.113.9'))).toBe('203.0.113.9');
    expect(ipWith('2')(request('127.0.0.1', '198.51.100.1, 203.0.113.9, 10.0.0.2'))).toBe(
      '203.0.113.9',
    );
    // Fewer entries than hops: the left-most one there is.
    expect(ipWith('3')(request('127.0.0.1', '203.0.113.9'))).toBe('203.0.113.9');
  });

  it('a CIDR list: entries are believed only while they come from those proxies', () => {
    const trustLocal = ipWith('127.0.0.0/8, 10.0.0.0/8');
    expect(trustLocal(request('127.0.0.1', '203.0.113.9, 10.0.0.2'))).toBe('203.0.113.9');
    const trustOther = ipWith('10.0.0.0/8');
    expect(trustOther(request('127.0.0.1', '203.0.113.9'))).toBe('127.0.0.1');
    expect(ipWith('::1')(request('::1', '2001:db8::5'))).toBe('2001:db8::5');
  });

  it('entries written with a port or brackets are read; an entry that is no address falls back to the socket', () => {
    const one = ipWith('true');
    expect(one(request('127.0.0.1', '203.0.113.9:5555'))).toBe('203.0.113.9');
    expect(one(request('127.0.0.1', '[2001:db8::5]:443'))).toBe('2001:db8::5');
    expect(one(request('127.0.0.1', '[2001:db8::6]'))).toBe('2001:db8::6');
    expect(one(request('127.0.0.1', 'garbage'))).toBe('127.0.0.1');
  });
});

describe('rate-limit subjects', () => {
  it('IPv4 as it is, IPv6 by its /64, garbage as "unknown"', () => {
    expect(rateLimitSubject('203.0.113.9')).toBe('203.0.113.9');
    expect(rateLimitSubject('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitSubject('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateLimitSubject('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(rateLimitSubject(undefined)).toBe('unknown');
    expect(rateLimitSubject('not an ip')).toBe('unknown');
  });

  it('an IPv4-mapped address (a dual-stack socket) is its IPv4 address, never one shared /64', () => {
    expect(rateLimitSubject('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(rateLimitSubject('::ffff:198.51.100.7')).toBe('198.51.100.7');
  });
});

describe('networks for the security log', () => {
  it('IPv4 by its /16, IPv6 by its /48, mapped IPv4 as IPv4', () => {
    expect(networkOf('203.0.113.9')).toBe('203.0.0.0/16');
    expect(networkOf('::ffff:203.0.113.9')).toBe('203.0.0.0/16');
    expect(networkOf('2001:db8:1:2::1')).toBe('2001:db8:1::/48');
    expect(networkOf(undefined)).toBeUndefined();
    expect(networkOf('garbage')).toBeUndefined();
  });
});
