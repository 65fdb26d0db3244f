import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedInUser, signInAs, verifiedAccount } from './support/accounts.js';
import { errorData } from './support/errors.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';

const RATE_LIMITS = roomyLimits();
const DEFAULT_REFRESH_TTL_MS = 2_592_000 * 1000;

const USER_AGENTS = {
  chromeOnWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  firefoxOnLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  safariOnIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS } });
});
afterAll(() => server.stop());

const unauthorized = { code: 'UNAUTHORIZED', httpStatus: 401 };

/** One account signed in three times, from three browsers. */
async function threeDevices() {
  const account = await verifiedAccount(server);
  const chrome = await signInAs(server, account, { 'user-agent': USER_AGENTS.chromeOnWindows });
  const firefox = await signInAs(server, account, { 'user-agent': USER_AGENTS.firefoxOnLinux });
  const iphone = await signInAs(server, account, { 'user-agent': USER_AGENTS.safariOnIphone });
  return { account, chrome, firefox, iphone };
}

describe('sessions.list', () => {
  it('lists the caller’s sessions newest first, with the fields of a Session', async () => {
    const { chrome, firefox, iphone } = await threeDevices();
    const list = await iphone.client.sessions.list.query();

    expect(list.map((session) => session.id)).toEqual([
      iphone.sessionId,
      firefox.sessionId,
      chrome.sessionId,
    ]);
    for (const session of list) {
      expect(Object.keys(session).sort()).toEqual(
        [
          'createdAt',
          'current',
          'device',
          'deviceId',
          'expiresAt',
          'id',
          'ip',
          'lastUsedAt',
        ].sort(),
      );
      expect(session.ip).toBe('127.0.0.1');
      expect(session.deviceId).toEqual(expect.any(String));
      expect(session.createdAt).toBeInstanceOf(Date);
      expect(session.lastUsedAt).toBeInstanceOf(Date);
      expect(session.expiresAt).toBeInstanceOf(Date);
      expect(session.lastUsedAt.getTime()).toBeGreaterThanOrEqual(session.createdAt.getTime());
      expect(
        Math.abs(
          session.expiresAt.getTime() - session.createdAt.getTime() - DEFAULT_REFRESH_TTL_MS,
        ),
      ).toBeLessThan(5000);
      expect(session.current).toBe(session.id === iphone.sessionId);
    }
    const [newest, middle, oldest] = list;
    expect(newest?.createdAt.getTime()).toBeGreaterThanOrEqual(middle?.createdAt.getTime() ?? 0);
    expect(middle?.createdAt.getTime()).toBeGreaterThanOrEqual(oldest?.createdAt.getTime() ?? 0);
    // Three sign-ins without a deviceId cookie are three devices.
    expect(new Set(list.map((session) => session.deviceId)).size).toBe(3);

    expect(oldest?.device.browser).toMatch(/^Chrome\b/);
    expect(oldest?.device.os).toMatch(/^Windows\b/);
    expect(oldest?.device.type).toBe('desktop');
    expect(middle?.device.browser).toMatch(/^Firefox\b/);
    expect(middle?.device.os).toMatch(/^Linux\b/);
    expect(middle?.device.type).toBe('desktop');
    expect(newest?.device.browser).toMatch(/^Safari\b/);
    expect(newest?.device.os).toMatch(/^iOS\b/);
    expect(newest?.device.type).toBe('mobile');
  });

  it('marks as current the session of whoever asks', async () => {
    const { chrome } = await threeDevices();
    const list = await chrome.client.sessions.list.query();
    expect(list.filter((session) => session.current).map((session) => session.id)).toEqual([
      chrome.sessionId,
    ]);
  });

  it('never lists another user’s sessions', async () => {
    const alice = await signedInUser(server, { name: 'Alice' });
    const bob = await signedInUser(server, { name: 'Bob' });
    expect((await alice.client.sessions.list.query()).map((session) => session.id)).toEqual([
      alice.sessionId,
    ]);
    expect((await bob.client.sessions.list.query()).map((session) => session.id)).toEqual([
      bob.sessionId,
    ]);
  });
});

describe('sessions.revoke', () => {
  it('refuses the revoked session’s token on the very next call; the others keep working', async () => {
    const { chrome, firefox, iphone } = await threeDevices();
    expect(await chrome.client.sessions.revoke.mutate({ sessionId: firefox.sessionId })).toEqual({
      sessionId: firefox.sessionId,
    });
    expect(await errorData(firefox.client.auth.me.query())).toMatchObject(unauthorized);
    expect((await chrome.client.auth.me.query()).session.id).toBe(chrome.sessionId);
    expect((await iphone.client.auth.me.query()).session.id).toBe(iphone.sessionId);
    expect((await chrome.client.sessions.list.query()).map((session) => session.id)).toEqual([
      iphone.sessionId,
      chrome.sessionId,
    ]);
  });

  it('another user’s session id is SESSION_NOT_FOUND and that session keeps working', async () => {
    const attacker = await signedInUser(server, { name: 'Mallory' });
    const victim = await signedInUser(server, { name: 'Victim' });
    expect(
      await errorData(attacker.client.sessions.revoke.mutate({ sessionId: victim.sessionId })),
    ).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404, reason: 'SESSION_NOT_FOUND' });
    expect((await victim.client.auth.me.query()).session.id).toBe(victim.sessionId);
    expect((await victim.client.sessions.list.query()).map((session) => session.id)).toEqual([
      victim.sessionId,
    ]);
  });

  it('an id that matches no session is SESSION_NOT_FOUND', async () => {
    const user = await signedInUser(server);
    expect(
      await errorData(user.client.sessions.revoke.mutate({ sessionId: randomUUID() })),
    ).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404, reason: 'SESSION_NOT_FOUND' });
  });

  it('revoking an already revoked session is SESSION_NOT_FOUND', async () => {
    const { chrome, firefox } = await threeDevices();
    await chrome.client.sessions.revoke.mutate({ sessionId: firefox.sessionId });
    expect(
      await errorData(chrome.client.sessions.revoke.mutate({ sessionId: firefox.sessionId })),
    ).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404, reason: 'SESSION_NOT_FOUND' });
  });

  it('a session id that is not a uuid is INVALID_INPUT on sessionId', async () => {
    const user = await signedInUser(server);
    const data = await errorData(user.client.sessions.revoke.mutate({ sessionId: 'not-a-uuid' }));
    expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'INVALID_INPUT' });
    expect(data.fieldErrors?.sessionId).toEqual([expect.any(String)]);
    expect(Object.keys(data.fieldErrors ?? {})).toEqual(['sessionId']);
  });
});

describe('sessions.revokeAll', () => {
  it('{includeCurrent:false} revokes the others and returns them; the current keeps working', async () => {
    const { chrome, firefox, iphone } = await threeDevices();
    const result = await firefox.client.sessions.revokeAll.mutate({ includeCurrent: false });
    expect(Object.keys(result)).toEqual(['revoked']);
    expect([...result.revoked].sort()).toEqual([chrome.sessionId, iphone.sessionId].sort());
    expect(await errorData(chrome.client.auth.me.query())).toMatchObject(unauthorized);
    expect(await errorData(iphone.client.auth.me.query())).toMatchObject(unauthorized);
    expect((await firefox.client.auth.me.query()).session.id).toBe(firefox.sessionId);
    expect((await firefox.client.sessions.list.query()).map((session) => session.id)).toEqual([
      firefox.sessionId,
    ]);
  });

  it('by default revokes every session, the current one included', async () => {
    const { chrome, firefox, iphone } = await threeDevices();
    const bystander = await signedInUser(server, { name: 'Bystander' });
    const result = await chrome.client.sessions.revokeAll.mutate();
    expect([...result.revoked].sort()).toEqual(
      [chrome.sessionId, firefox.sessionId, iphone.sessionId].sort(),
    );
    for (const device of [chrome, firefox, iphone]) {
      expect(await errorData(device.client.auth.me.query())).toMatchObject(unauthorized);
    }
    // Another user's sessions are not "all".
    expect((await bystander.client.auth.me.query()).session.id).toBe(bystander.sessionId);
  });
});

describe('without a token', () => {
  it('list, revoke and revokeAll are UNAUTHORIZED', async () => {
    const anon = server.client();
    expect(await errorData(anon.sessions.list.query())).toMatchObject(unauthorized);
    expect(await errorData(anon.sessions.revoke.mutate({ sessionId: randomUUID() }))).toMatchObject(
      unauthorized,
    );
    expect(await errorData(anon.sessions.revokeAll.mutate({ includeCurrent: true }))).toMatchObject(
      unauthorized,
    );
  });
});
