import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCryptwebClient, isMfaRequired, memoryTokenStore } from '../src/index.js';
import { signedInClient } from './support/accounts.js';
import { startServer, type TestServer } from './support/server.js';

/** The code of the step `offset` steps from now (SPEC §9: SHA-1, 6 digits, 30 s). */
function codeAt(secret: string, offset = 0): string {
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
  return totp.generate({ timestamp: Date.now() + offset * 30_000 });
}

describe('two-step sign-in through the SDK (SPEC §9)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps no tokens for an mfaRequired answer, and the tokens of verifyMfa', async () => {
    const store = memoryTokenStore();
    const { account, client } = await signedInClient(server, { name: 'Totp', tokenStore: store });

    const { secret } = await client.mfa.totp.enroll.mutate({ currentPassword: account.password });
    // The previous step's code, so the current one is still free for the sign-in (each step once).
    const { recoveryCodes } = await client.mfa.totp.confirm.mutate({ code: codeAt(secret, -1) });
    expect(recoveryCodes).toHaveLength(10);
    expect(await client.mfa.status.query()).toMatchObject({ totp: true, recoveryCodesLeft: 10 });
    const deviceId = await store.getDeviceId?.();
    await client.auth.signOut.mutate();
    expect(await store.get()).toBeNull();

    const first = await client.auth.signIn.mutate({
      email: account.email,
      password: account.password,
      device: { name: 'build box' },
    });
    if (!isMfaRequired(first)) throw new Error('expected the server to ask for a second factor');
    expect(first.methods).toEqual(expect.arrayContaining(['totp', 'recovery']));
    expect(first).not.toHaveProperty('accessToken');
    expect(await store.get()).toBeNull();

    const done = await client.auth.verifyMfa.mutate({
      challengeToken: first.challengeToken,
      totp: codeAt(secret),
    });
    expect(await store.get()).toEqual({
      accessToken: done.accessToken,
      refreshToken: done.refreshToken,
    });
    // The session is on the device that started the sign-in, under the name it gave.
    expect(done.session.deviceId).toBe(deviceId);
    expect(await store.getDeviceId?.()).toBe(done.session.deviceId);

    const me = await client.auth.me.query();
    expect(me.session).toMatchObject({ id: done.session.id, mfa: true });
    const sessions = await client.sessions.list.query();
    expect(sessions.find((session) => session.current)?.device.name).toBe('build box');
  });

  it('a recovery code finishes a sign-in on a new client', async () => {
    const { account, client } = await signedInClient(server, { name: 'Recovery' });
    const { secret } = await client.mfa.totp.enroll.mutate({ currentPassword: account.password });
    const { recoveryCodes } = await client.mfa.totp.confirm.mutate({ code: codeAt(secret, -1) });

    const store = memoryTokenStore();
    const other = createCryptwebClient({ url: server.url, tokenStore: store });
    const first = await other.auth.signIn.mutate({
      email: account.email,
      password: account.password,
    });
    if (!isMfaRequired(first)) throw new Error('expected the server to ask for a second factor');
    const done = await other.auth.verifyMfa.mutate({
      challengeToken: first.challengeToken,
      recoveryCode: recoveryCodes[0] ?? '',
    });
    expect((await store.get())?.accessToken).toBe(done.accessToken);
    expect((await other.auth.me.query()).session.mfa).toBe(true);
    expect((await other.mfa.status.query()).recoveryCodesLeft).toBe(9);
  });
});
