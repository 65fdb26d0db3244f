import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientWithToken, PASSWORD, signInAs, verifiedAccount } from './support/accounts.js';
import { errorData } from './support/errors.js';
import { waitForMail } from './support/mailbox.js';
import { startTestServer, type TestServer } from './support/server.js';
import { sessionOf } from './support/signed-in.js';

// SPEC §6.1: strangers failing from many addresses never lock the owner's known device out; IPv6
// clients are counted by their /64; re-authentication is limited per user.
const WRONG = 'not the password at all';
const NEW_PASSWORD = 'a brand new passphrase 42';

let ipCounter = 0;
/** A fresh IPv4 address per call, so each attempt has IP-keyed counters of its own. */
function nextIp(): string {
  ipCounter += 1;
  return `10.88.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}
const from = (ip: string) => ({ 'x-forwarded-for': ip });

describe('behind a trusted proxy, with the default limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Every limit at its SPEC default; each attempt comes from an address of its own.
    server = await startTestServer({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(() => server.stop());

  async function ownerWithKnownDevice() {
    const account = await verifiedAccount(server, 'Owner');
    const deviceId = randomUUID();
    const first = sessionOf(
      await server
        .client(from(nextIp()))
        .auth.signIn.mutate({ email: account.email, password: PASSWORD, device: { id: deviceId } }),
    );
    expect(first.session.deviceId).toBe(deviceId);
    return { ...account, deviceId };
  }

  it('5 failures from each of 11 addresses lock out strangers, never the owner’s known device', async () => {
    const owner = await ownerWithKnownDevice();
    const reasons: string[] = [];
    for (let address = 0; address < 11; address++) {
      const attacker = server.client(from(nextIp()));
      for (let attempt = 0; attempt < 5; attempt++) {
        // A made-up device id is no key: it was never signed in with.
        const data = await errorData(
          attacker.auth.signIn.mutate({
            email: owner.email,
            password: WRONG,
            device: { id: randomUUID() },
          }),
        );
        reasons.push(data.code);
      }
    }
    expect(reasons.slice(0, 50)).toEqual(Array(50).fill('UNAUTHORIZED'));
    expect(reasons.slice(50)).toEqual(Array(5).fill('TOO_MANY_REQUESTS'));

    // The account's own budget is spent: a new device with the right password waits too...
    const stranger = await errorData(
      server.client(from(nextIp())).auth.signIn.mutate({ email: owner.email, password: PASSWORD }),
    );
    expect(stranger.code).toBe('TOO_MANY_REQUESTS');
    // ...but the owner's device signs in, by its id (SDK, CLI) or by its cookie (browser).
    const byId = sessionOf(
      await server.client(from(nextIp())).auth.signIn.mutate({
        email: owner.email,
        password: PASSWORD,
        device: { id: owner.deviceId },
      }),
    );
    expect(byId.session.deviceId).toBe(owner.deviceId);
    const byCookie = sessionOf(
      await server
        .client({ ...from(nextIp()), cookie: `deviceId=${owner.deviceId}` })
        .auth.signIn.mutate({ email: owner.email, password: PASSWORD }),
    );
    expect(byCookie.session.deviceId).toBe(owner.deviceId);
  });

  it('a known device has its own budget: 10 failures, then it waits too', async () => {
    const owner = await ownerWithKnownDevice();
    for (let attempt = 0; attempt < 10; attempt++) {
      const data = await errorData(
        server.client(from(nextIp())).auth.signIn.mutate({
          email: owner.email,
          password: WRONG,
          device: { id: owner.deviceId },
        }),
      );
      expect(data.reason).toBe('INVALID_CREDENTIALS');
    }
    const refused = await errorData(
      server.client(from(nextIp())).auth.signIn.mutate({
        email: owner.email,
        password: PASSWORD,
        device: { id: owner.deviceId },
      }),
    );
    expect(refused.code).toBe('TOO_MANY_REQUESTS');
    // Those failures were not the account's: a new device is not locked out by them.
    const other = sessionOf(
      await server
        .client(from(nextIp()))
        .auth.signIn.mutate({ email: owner.email, password: PASSWORD }),
    );
    expect(other.user.email).toBe(owner.email);
  });

  it('after a password reset the account’s devices are strangers again', async () => {
    const owner = await ownerWithKnownDevice();
    await server.client(from(nextIp())).auth.forgotPassword.mutate({ email: owner.email });
    const mail = await waitForMail(server.dataDir, owner.email, 'reset-password');
    const token = /token=([\w-]+)/.exec(mail.text)?.[1] ?? '';
    await server.client(from(nextIp())).auth.resetPassword.mutate({
      token,
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    // A known device would be refused at its 11th failure; a stranger counts against the
    // account's 50 instead.
    for (let attempt = 0; attempt < 11; attempt++) {
      const data = await errorData(
        server.client(from(nextIp())).auth.signIn.mutate({
          email: owner.email,
          password: WRONG,
          device: { id: owner.deviceId },
        }),
      );
      expect(data.reason).toBe('INVALID_CREDENTIALS');
    }
  });

  it('IPv6 clients are counted by their /64: new addresses in one /64 share a limit', async () => {
    // forgotPassword.ip: 10 / h per IP.
    const results: string[] = [];
    for (let host = 1; host <= 11; host++) {
      const call = server
        .client(from(`2001:db8:77:1::${host.toString(16)}`))
        .auth.forgotPassword.mutate({ email: `nobody${host}@example.test` });
      results.push(
        await call.then(
          () => 'ok',
          async (error: unknown) => (await errorData(Promise.reject(error))).code,
        ),
      );
    }
    expect(results).toEqual([...Array(10).fill('ok'), 'TOO_MANY_REQUESTS']);
    // The next /64 is another customer.
    await expect(
      server
        .client(from('2001:db8:77:2::1'))
        .auth.forgotPassword.mutate({ email: 'nobody@example.test' }),
    ).resolves.toEqual({ ok: true });
  });

  it('re-authentication: 5 wrong current passwords per user, then TOO_MANY_REQUESTS, even in one batch', async () => {
    const account = await verifiedAccount(server, 'Reauth');
    const user = await signInAs(server, account, from(nextIp()));
    // Ten guesses in one HTTP batch: only five are checked.
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        errorData(
          user.client.auth.changePassword.mutate({
            currentPassword: WRONG,
            newPassword: 'a new long passphrase 7',
          }),
        ),
      ),
    );
    const counts = answers.reduce<Record<string, number>>((acc, data) => {
      const key = data.reason === 'INVALID_CREDENTIALS' ? 'wrong' : data.code;
      acc[key] = (acc[key] ?? 0) + 1;
      return acc;
    }, {});
    expect(counts).toEqual({ wrong: 5, TOO_MANY_REQUESTS: 5 });
    // The right password waits too: the limit is the user's, not the guess's.
    const right = await errorData(
      clientWithToken(server, user.accessToken).auth.changePassword.mutate({
        currentPassword: PASSWORD,
        newPassword: 'a new long passphrase 7',
      }),
    );
    expect(right.code).toBe('TOO_MANY_REQUESTS');
  });
});
