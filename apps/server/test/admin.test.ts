import { randomUUID } from 'node:crypto';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import type { AnyProcedure } from '@trpc/server';
import { eq } from 'drizzle-orm';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../src/db/schema.js';
import { appRouter } from '../src/routers/_app.js';
import { bootstrapAdmins } from '../src/services/admin-roles.js';
import {
  PASSWORD,
  type SignedInUser,
  signedInUser,
  signInAs,
  verifiedAccount,
} from './support/accounts.js';
import { createTestDatabase, onPostgres } from './support/database.js';
import { errorData } from './support/errors.js';
import { roomyLimits } from './support/limits.js';
import { waitForMail } from './support/mailbox.js';
import { startTestServer, type TestServer, uniqueEmail } from './support/server.js';
import { connectDevice } from './support/signaling.js';
import { recordTransfer } from './support/transfers.js';

const RATE_LIMITS = roomyLimits();
const ROOT_EMAIL = uniqueEmail('root');

/** Signs up with a chosen address (ADMIN_EMAILS must know it in advance), verifies, signs in. */
async function accountAt(server: TestServer, email: string, name = 'Admin'): Promise<SignedInUser> {
  await server.client().auth.signUp.mutate({ name, email, password: PASSWORD });
  const mail = await waitForMail(server.dataDir, email, 'verify-email');
  await server.client().auth.verifyEmail.mutate({ email, code: mail.code ?? '' });
  return signInAs(server, { email, name, password: PASSWORD });
}

const forbidden = { code: 'FORBIDDEN', httpStatus: 403, reason: 'ADMIN_REQUIRED' };

let server: TestServer;
let root: SignedInUser;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS, ADMIN_EMAILS: ROOT_EMAIL } });
  root = await accountAt(server, ROOT_EMAIL);
});
afterAll(() => server.stop());

describe('who may call admin.*', () => {
  // At run time the router keeps its procedures flat, by dotted path.
  const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
  const adminProcedures = Object.entries(procedures).filter(([path]) => path.startsWith('admin.'));

  it('refuses every admin procedure to a signed-in user (FORBIDDEN) and to nobody (UNAUTHORIZED)', async () => {
    // Walks the router, so an admin procedure added later cannot forget the check.
    expect(adminProcedures.length).toBeGreaterThanOrEqual(8);
    const user = await signedInUser(server);
    const callers = [
      { token: user.accessToken, expected: forbidden },
      { token: undefined, expected: { code: 'UNAUTHORIZED' } },
    ];
    for (const { token, expected } of callers) {
      const client = createTRPCUntypedClient({
        links: [
          httpLink({
            url: `${server.url}/trpc`,
            transformer: superjson,
            headers: token ? { authorization: `Bearer ${token}` } : {},
          }),
        ],
      });
      for (const [path, procedure] of adminProcedures) {
        // A well-formed input, so only the role check can refuse it.
        const input = {
          userId: user.userId,
          sessionId: user.sessionId,
          role: 'admin',
          reason: 'x',
        };
        const call =
          procedure._def.type === 'query'
            ? client.query(path, input)
            : client.mutation(path, input);
        const data = await errorData(call);
        expect({ path, ...data }).toMatchObject({ path, ...expected });
      }
    }
    // Nothing happened: the user is no admin and the session still works.
    const [row] = await server.app.deps.db.select().from(users).where(eq(users.id, user.userId));
    expect(row?.role).toBe('user');
    expect((await user.client.auth.me.query()).user.id).toBe(user.userId);
  });

  it('reads the role from the database: a demoted admin is refused with the same token', async () => {
    const helper = await signedInUser(server);
    await root.client.admin.users.setRole.mutate({ userId: helper.userId, role: 'admin' });
    await expect(helper.client.admin.stats.query()).resolves.toMatchObject({
      users: expect.any(Number),
    });
    await root.client.admin.users.setRole.mutate({ userId: helper.userId, role: 'user' });
    expect(await errorData(helper.client.admin.stats.query())).toMatchObject(forbidden);
  });
  it('guards the REST routes alike', async () => {
    const user = await signedInUser(server);
    const get = (token: string) =>
      fetch(`${server.url}/api/v1/admin/users?query=zz&limit=5`, {
        headers: { authorization: `Bearer ${token}` },
      });
    const refused = await get(user.accessToken);
    expect(refused.status).toBe(403);
    const allowed = await get(root.accessToken);
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({ items: expect.any(Array) });
  });
});

describe('ADMIN_EMAILS', () => {
  it('makes a listed account an admin when its address is verified, and no other', async () => {
    expect((await root.client.admin.stats.query()).users).toBeGreaterThan(0);
    const log = await root.client.account.securityLog.query({ type: 'admin-action' });
    expect(log.items.some((e) => e.detail.via === 'ADMIN_EMAILS')).toBe(true);
    const user = await signedInUser(server);
    expect(await errorData(user.client.admin.stats.query())).toMatchObject(forbidden);
  });

  it('at startup, promotes listed accounts verified before they were listed', async () => {
    const account = await verifiedAccount(server, 'Later');
    const promoted = await bootstrapAdmins(server.app.deps.db, { ADMIN_EMAILS: [account.email] });
    const [row] = await server.app.deps.db
      .select()
      .from(users)
      .where(eq(users.email, account.email));
    expect(promoted).toEqual([row?.id]);
    expect(row?.role).toBe('admin');
    // Idempotent: a second instance starting finds nothing to do.
    expect(await bootstrapAdmins(server.app.deps.db, { ADMIN_EMAILS: [account.email] })).toEqual(
      [],
    );
    await root.client.admin.users.setRole.mutate({ userId: row?.id ?? '', role: 'user' });
  });
});

describe('admin.users', () => {
  it('lists accounts newest first, searches email and name literally, pages, and leaves out deleted ones', async () => {
    const tag = randomUUID().slice(0, 8);
    const people = [];
    for (const i of [1, 2, 3]) people.push(await signedInUser(server, { name: `Zed${tag}${i}` }));
    const found = await root.client.admin.users.list.query({ query: `zed${tag}` });
    expect(found.items.map((u) => u.name)).toEqual([3, 2, 1].map((i) => `Zed${tag}${i}`));
    expect(found.items[0]).toMatchObject({ role: 'user', disabledAt: null, emailVerified: true });

    const first = await root.client.admin.users.list.query({ query: `zed${tag}`, limit: 2 });
    expect(first.items).toHaveLength(2);
    const rest = await root.client.admin.users.list.query({
      query: `zed${tag}`,
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    expect(rest.items.map((u) => u.name)).toEqual([`Zed${tag}1`]);
    expect(rest.nextCursor).toBeNull();

    // `%` and `_` are characters, not wildcards.
    expect((await root.client.admin.users.list.query({ query: '%' })).items).toEqual([]);
    const bad = await errorData(root.client.admin.users.list.query({ cursor: 'not-a-cursor' }));
    expect(bad.reason).toBe('INVALID_INPUT');

    const gone = people[0];
    await gone?.client.account.delete.mutate({ currentPassword: PASSWORD, confirm: 'DELETE' });
    const after = await root.client.admin.users.list.query({ query: `zed${tag}` });
    expect(after.items.map((u) => u.name)).toEqual([`Zed${tag}3`, `Zed${tag}2`]);
    const deleted = await errorData(
      root.client.admin.users.get.query({ userId: gone?.userId ?? '' }),
    );
    expect(deleted).toMatchObject({ code: 'NOT_FOUND', reason: 'USER_NOT_FOUND' });
  });

  it('gets one account with its live sessions and recent events', async () => {
    const user = await signedInUser(server);
    const detail = await root.client.admin.users.get.query({ userId: user.userId });
    expect(detail.user).toMatchObject({ id: user.userId, email: user.email });
    expect(detail.sessions.map((s) => s.id)).toEqual([user.sessionId]);
    expect(detail.recentEvents.map((e) => e.type)).toContain('sign-in');
    const missing = await errorData(root.client.admin.users.get.query({ userId: randomUUID() }));
    expect(missing.reason).toBe('USER_NOT_FOUND');
    const malformed = await errorData(root.client.admin.users.get.query({ userId: 'nope' }));
    expect(malformed.reason).toBe('INVALID_INPUT');
  });

  it('sets a role, recording an admin-action for the actor and the target', async () => {
    const user = await signedInUser(server);
    const { user: promoted } = await root.client.admin.users.setRole.mutate({
      userId: user.userId,
      role: 'admin',
    });
    expect(promoted.role).toBe('admin');
    await expect(user.client.admin.stats.query()).resolves.toBeDefined();
    const target = await user.client.account.securityLog.query({ type: 'admin-action' });
    expect(target.items[0]?.detail).toMatchObject({
      action: 'set-role',
      role: 'admin',
      actorUserId: root.userId,
    });
    expect(target.items[0]?.ip).toBeNull();
    const actor = await root.client.account.securityLog.query({ type: 'admin-action' });
    expect(actor.items[0]?.detail).toMatchObject({ action: 'set-role', targetUserId: user.userId });
    await user.client.admin.users.setRole.mutate({ userId: user.userId, role: 'user' });
    const bad = await errorData(
      root.client.admin.users.setRole.mutate({ userId: user.userId, role: 'owner' as 'admin' }),
    );
    expect(bad.reason).toBe('INVALID_INPUT');
  });

  it('disables an account: its sockets end within 1 s, its password gets ACCOUNT_DISABLED; enable lets it back', async () => {
    const user = await signedInUser(server);
    const device = await connectDevice(server, user.accessToken);
    try {
      const { user: disabled } = await root.client.admin.users.disable.mutate({
        userId: user.userId,
        reason: ' spam ',
      });
      expect(disabled).toMatchObject({ disabledReason: 'spam' });
      expect(disabled.disabledAt).toBeInstanceOf(Date);
      await device.ended(1000);
    } finally {
      device.close();
    }
    expect((await errorData(user.client.auth.me.query())).code).toBe('UNAUTHORIZED');
    const signIn = await errorData(
      server.client().auth.signIn.mutate({ email: user.email, password: PASSWORD }),
    );
    expect(signIn).toMatchObject({ code: 'FORBIDDEN', reason: 'ACCOUNT_DISABLED' });
    const wrong = await errorData(
      server.client().auth.signIn.mutate({ email: user.email, password: 'wrong password!' }),
    );
    expect(wrong.reason).toBe('INVALID_CREDENTIALS');

    const events = await root.client.admin.securityEvents.list.query({ userId: user.userId });
    expect(events.items.map((e) => e.type)).toEqual(
      expect.arrayContaining(['account-disabled', 'admin-action']),
    );

    const { user: enabled } = await root.client.admin.users.enable.mutate({ userId: user.userId });
    expect(enabled.disabledAt).toBeNull();
    await signInAs(server, user);

    const missing = await errorData(
      root.client.admin.users.disable.mutate({ userId: randomUUID(), reason: 'x' }),
    );
    expect(missing.reason).toBe('USER_NOT_FOUND');
    const empty = await errorData(
      root.client.admin.users.disable.mutate({ userId: user.userId, reason: '   ' }),
    );
    expect(empty.reason).toBe('INVALID_INPUT');
  });
});

describe('admin.sessions.revoke, admin.securityEvents.list, admin.stats', () => {
  it("revokes anyone's session once; an unknown one is SESSION_NOT_FOUND", async () => {
    const user = await signedInUser(server);
    const device = await connectDevice(server, user.accessToken);
    try {
      await expect(
        root.client.admin.sessions.revoke.mutate({ sessionId: user.sessionId }),
      ).resolves.toEqual({ sessionId: user.sessionId });
      await device.ended(1000);
    } finally {
      device.close();
    }
    expect((await errorData(user.client.auth.me.query())).code).toBe('UNAUTHORIZED');
    for (const sessionId of [user.sessionId, randomUUID()]) {
      const data = await errorData(root.client.admin.sessions.revoke.mutate({ sessionId }));
      expect(data).toMatchObject({ code: 'NOT_FOUND', reason: 'SESSION_NOT_FOUND' });
    }
    const log = await root.client.admin.securityEvents.list.query({
      userId: user.userId,
      type: 'session-revoked',
    });
    expect(log.items[0]?.detail).toMatchObject({
      reason: 'revoked-by-admin',
      actorUserId: root.userId,
    });
  });

  it('lists every account’s events, by type and flag, page by page', async () => {
    const user = await signedInUser(server);
    await signInAs(server, user, {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
    });
    const page = await root.client.admin.securityEvents.list.query({ type: 'sign-in', limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.items.every((e) => e.type === 'sign-in')).toBe(true);
    const next = await root.client.admin.securityEvents.list.query({
      type: 'sign-in',
      limit: 2,
      cursor: page.nextCursor ?? '',
    });
    expect(next.items.map((e) => e.id)).not.toContain(page.items[0]?.id);
    const flagged = await root.client.admin.securityEvents.list.query({ flagged: true });
    expect(flagged.items.every((e) => e.flags.length > 0)).toBe(true);
    expect(flagged.items.some((e) => e.flags.includes('new-device'))).toBe(true);
  });

  it('counts users, verified users, live sessions, online peers and the day’s transfers', async () => {
    const before = await root.client.admin.stats.query();
    const user = await signedInUser(server);
    await recordTransfer(user.client, root.email);
    await server.client().auth.signUp.mutate({
      name: 'Unverified',
      email: uniqueEmail('unverified'),
      password: PASSWORD,
    });
    const device = await connectDevice(server, user.accessToken);
    try {
      const after = await root.client.admin.stats.query();
      expect(after).toEqual({
        users: before.users + 2,
        verifiedUsers: before.verifiedUsers + 1,
        activeSessions: before.activeSessions + 1,
        onlinePeers: before.onlinePeers + 1,
        transfersLast24h: before.transfersLast24h + 1,
      });
    } finally {
      device.close();
    }
  });
});

describe('the last admin', () => {
  let own: TestServer;
  const firstEmail = uniqueEmail('first.admin');
  beforeAll(async () => {
    own = await startTestServer({ env: { RATE_LIMITS, ADMIN_EMAILS: firstEmail } });
  });
  afterAll(() => own.stop());

  async function activeAdmins() {
    const rows = await own.app.deps.db.select().from(users).where(eq(users.role, 'admin'));
    return rows.filter((row) => !row.disabledAt && !row.deletedAt).map((row) => row.id);
  }

  it('cannot be demoted, disabled or deleted', async () => {
    const first = await accountAt(own, firstEmail);
    const self = { userId: first.userId };
    const attempts = [
      first.client.admin.users.setRole.mutate({ ...self, role: 'user' }),
      first.client.admin.users.disable.mutate({ ...self, reason: 'leaving' }),
      first.client.account.delete.mutate({ currentPassword: PASSWORD, confirm: 'DELETE' }),
    ];
    for (const attempt of attempts) {
      expect(await errorData(attempt)).toMatchObject({ code: 'CONFLICT', reason: 'LAST_ADMIN' });
    }
    expect(await activeAdmins()).toEqual([first.userId]);
  });

  it('survives two admins removing each other at once: one wins, the other gets LAST_ADMIN', async () => {
    const [first] = await activeAdmins();
    const one = await signInAs(own, { email: firstEmail, name: 'Admin', password: PASSWORD });
    expect(one.userId).toBe(first);
    for (const round of [1, 2, 3, 4]) {
      const other = await signedInUser(own, { name: `Second${round}` });
      await one.client.admin.users.setRole.mutate({ userId: other.userId, role: 'admin' });
      // Demote each other, or disable each other: never both.
      const outcomes = await Promise.allSettled(
        round % 2
          ? [
              one.client.admin.users.setRole.mutate({ userId: other.userId, role: 'user' }),
              other.client.admin.users.setRole.mutate({ userId: one.userId, role: 'user' }),
            ]
          : [
              one.client.admin.users.disable.mutate({ userId: other.userId, reason: 'race' }),
              other.client.admin.users.disable.mutate({ userId: one.userId, reason: 'race' }),
            ],
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === 'rejected');
      const data = await errorData(Promise.reject(refused?.reason));
      // The loser meets the lock (LAST_ADMIN), or has already lost its role or its session.
      expect(['LAST_ADMIN', 'ADMIN_REQUIRED', 'UNAUTHENTICATED']).toContain(data.reason);
      const left = await activeAdmins();
      expect(left).toHaveLength(1);
      if (left[0] !== one.userId) {
        // The other won: hand the role back for the next round.
        const winner = await signInAs(own, { ...other, password: PASSWORD });
        await winner.client.admin.users.enable.mutate({ userId: one.userId });
        await winner.client.admin.users.setRole.mutate({ userId: one.userId, role: 'admin' });
        await winner.client.admin.users.setRole.mutate({ userId: other.userId, role: 'user' });
        Object.assign(
          one,
          await signInAs(own, { email: firstEmail, name: 'Admin', password: PASSWORD }),
        );
      }
    }
  });
});

describe.runIf(onPostgres)('two instances on one PostgreSQL database', () => {
  it('disabling on one instance ends a subscription on the other within 1 s', async () => {
    const database = await createTestDatabase();
    const adminEmail = uniqueEmail('cluster.admin');
    const env = { RATE_LIMITS, ADMIN_EMAILS: adminEmail };
    const one = await startTestServer({ database, env });
    let two: TestServer | undefined;
    try {
      // Accounts first, so that the first instance's mail worker sends their codes.
      const admin = await accountAt(one, adminEmail);
      const user = await signInAs(one, await verifiedAccount(one, 'Remote'));
      two = await startTestServer({ database, env });
      const device = await connectDevice(two, user.accessToken);
      try {
        await admin.client.admin.users.disable.mutate({ userId: user.userId, reason: 'abuse' });
        await device.ended(1000);
      } finally {
        device.close();
      }
      const signIn = await errorData(
        two.client().auth.signIn.mutate({ email: user.email, password: PASSWORD }),
      );
      expect(signIn.reason).toBe('ACCOUNT_DISABLED');
    } finally {
      await one.stop();
      await two?.stop();
      await database.drop();
    }
  });

  it('an instance starting with ADMIN_EMAILS promotes accounts verified before', async () => {
    const database = await createTestDatabase();
    const one = await startTestServer({ database, env: { RATE_LIMITS } });
    let two: TestServer | undefined;
    try {
      const account = await verifiedAccount(one, 'Boot');
      two = await startTestServer({ database, env: { RATE_LIMITS, ADMIN_EMAILS: account.email } });
      const signedIn = await signInAs(two, account);
      await expect(signedIn.client.admin.stats.query()).resolves.toBeDefined();
    } finally {
      await one.stop();
      await two?.stop();
      await database.drop();
    }
  });
});
