import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  busPayloads,
  emailCodes,
  passwordResetTokens,
  rateLimits,
  sessions,
  users,
} from '../src/db/schema.js';
import { sweepExpired } from '../src/services/sweeper.js';
import { signedInUser } from './support/accounts.js';
import { startTestServer, type TestServer, uniqueEmail } from './support/server.js';

describe('expired-row sweeper', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('deletes expired codes, reset tokens, sessions, rate-limit windows and bus payloads, and keeps live ones', async () => {
    const { db, env } = server.app.deps;
    const live = await signedInUser(server);
    const stale = await signedInUser(server);
    const [user] = await db
      .insert(users)
      .values({ email: uniqueEmail('sweep'), name: 'Sweep', passwordHash: 'x' })
      .returning({ id: users.id });
    if (!user) throw new Error('no user');
    const longAgo = sql`now() - interval '3 days'`;
    await db.insert(emailCodes).values({ userId: user.id, codeHash: 'h', expiresAt: longAgo });
    await db.insert(passwordResetTokens).values([
      { userId: user.id, tokenHash: 'old', expiresAt: longAgo },
      { userId: user.id, tokenHash: 'fresh', expiresAt: sql`now() + interval '1 hour'` },
    ]);
    await db.insert(rateLimits).values([
      { key: 'test:old', count: 3, windowStartedAt: longAgo, expiresAt: longAgo },
      {
        key: 'test:live',
        count: 3,
        windowStartedAt: sql`now()`,
        expiresAt: sql`now() + interval '1 hour'`,
      },
    ]);
    await db.update(sessions).set({ expiresAt: longAgo }).where(eq(sessions.id, stale.sessionId));
    await db.insert(busPayloads).values({ payload: { old: true }, createdAt: longAgo });

    const counts = await sweepExpired(db, env);
    expect(counts.emailCodes).toBeGreaterThanOrEqual(1);
    expect(counts.resetTokens).toBeGreaterThanOrEqual(1);
    expect(counts.rateLimits).toBeGreaterThanOrEqual(1);
    expect(counts.sessions).toBeGreaterThanOrEqual(1);
    expect(counts.busPayloads).toBeGreaterThanOrEqual(1);

    const tokens = await db
      .select({ hash: passwordResetTokens.tokenHash })
      .from(passwordResetTokens);
    expect(tokens.map((t) => t.hash)).toContain('fresh');
    expect(tokens.map((t) => t.hash)).not.toContain('old');
    const keys = (await db.select({ key: rateLimits.key }).from(rateLimits)).map((r) => r.key);
    expect(keys).toContain('test:live');
    expect(keys).not.toContain('test:old');
    const left = (await db.select({ id: sessions.id }).from(sessions)).map((s) => s.id);
    expect(left).toContain(live.sessionId);
    expect(left).not.toContain(stale.sessionId);
    // The live session still works after a sweep.
    await expect(live.client.auth.me.query()).resolves.toMatchObject({
      user: { email: live.email },
    });
  });
});
