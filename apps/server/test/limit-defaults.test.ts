import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, verifiedAccount } from './support/accounts.js';
import { errorData } from './support/errors.js';
import { startTestServer, type TestServer, uniqueEmail } from './support/server.js';

// The rate limits of SPEC §6 and §6.1 at their defaults: no RATE_LIMITS at all. Each limit is
// exercised from an address of its own (behind a trusted proxy), up to its size and one past it.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { TRUST_PROXY: 'true' } });
});
afterAll(() => server.stop());

let ipCounter = 0;
function nextIp(): string {
  ipCounter += 1;
  return `10.66.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}
const client = (ip = nextIp()) => server.client({ 'x-forwarded-for': ip });

/** `code` of each outcome: 'ok' for a success, else the error's tRPC code. */
async function outcomes(count: number, call: (i: number) => Promise<unknown>): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      await call(i).then(
        () => 'ok',
        async (error: unknown) => (await errorData(Promise.reject(error))).code,
      ),
    );
  }
  return out;
}

/** `allowed` answers that are not TOO_MANY_REQUESTS, then one that is. */
function expectLimitAt(seen: string[], allowed: number) {
  expect(seen.slice(0, allowed)).not.toContain('TOO_MANY_REQUESTS');
  expect(seen.slice(allowed)).toEqual(['TOO_MANY_REQUESTS']);
}

describe('rate limits at their SPEC defaults', () => {
  it('signIn.ip: 30 attempts per IP per 15 min', async () => {
    const ip = nextIp();
    const seen = await outcomes(31, () =>
      client(ip).auth.signIn.mutate({ email: uniqueEmail('stranger'), password: 'wrong one' }),
    );
    expectLimitAt(seen, 30);
  });

  it('signIn.emailIp: 5 failures per (email, IP); signIn.email: 50 per email from all IPs', async () => {
    const account = await verifiedAccount(server, 'Target');
    const ip = nextIp();
    expectLimitAt(
      await outcomes(6, () =>
        client(ip).auth.signIn.mutate({ email: account.email, password: 'wrong one' }),
      ),
      5,
    );
    const other = await verifiedAccount(server, 'Spread');
    // Each failure from an address of its own: the 51st waits whatever its address.
    const seen = await outcomes(51, () =>
      client().auth.signIn.mutate({ email: other.email, password: 'wrong one' }),
    );
    expectLimitAt(seen, 50);
  });

  it('signUp.ip: 20 sign-ups per IP per 10 h', async () => {
    const ip = nextIp();
    const seen = await outcomes(21, () =>
      client(ip).auth.signUp.mutate({
        name: 'Many',
        email: uniqueEmail('many'),
        password: PASSWORD,
      }),
    );
    expectLimitAt(seen, 20);
  });

  it('verifyEmail.ip: 30 checks per IP per 15 min', async () => {
    const ip = nextIp();
    const seen = await outcomes(31, () =>
      client(ip).auth.verifyEmail.mutate({ email: uniqueEmail('probe'), code: '000000' }),
    );
    expectLimitAt(seen, 30);
  });

  it('resendVerification.email: 1 per email per 60 s; forgotPassword.email: 5 per email per hour', async () => {
    const email = uniqueEmail('mailed');
    expectLimitAt(await outcomes(2, () => client().auth.resendVerification.mutate({ email })), 1);
    expectLimitAt(await outcomes(6, () => client().auth.forgotPassword.mutate({ email })), 5);
  });

  it('health.ip: 60 health.check calls per IP per minute', async () => {
    const ip = nextIp();
    expectLimitAt(await outcomes(61, () => client(ip).health.check.query()), 60);
  });

  it('passkeyOptions.ip: 60 anonymous passkey ceremonies per IP per 15 min', async () => {
    const ip = nextIp();
    expectLimitAt(await outcomes(61, () => client(ip).auth.passkeyOptions.mutate({})), 60);
  });
});
