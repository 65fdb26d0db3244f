import { check, equal, rejects } from './assert.js';
import type { FlowContext, SignedIn } from './context.js';

/**
 * SPEC §10 administration. Only when e2e spawned the server itself with ADMIN_EMAILS naming an
 * account of this run: another server has no admin of ours, and these flows sign in with a
 * password (the admin, and bob after being disabled), which a server with the default limits
 * cannot spare.
 */

/** Per run: the admin's session, made by the first admin flow. */
const admins = new WeakMap<FlowContext, SignedIn>();

async function adminSession(ctx: FlowContext): Promise<SignedIn> {
  const known = admins.get(ctx);
  if (known) return known;
  check(ctx.adminEmail, 'no admin address: the server was not spawned by e2e');
  const admin = { ...ctx.newUser('admin'), email: ctx.adminEmail };
  await ctx.register(admin);
  const signedIn = await ctx.signIn(admin, 'e2e admin');
  admins.set(ctx, signedIn);
  return signedIn;
}

/** An ADMIN_EMAILS account is an admin once verified; anyone else is FORBIDDEN. */
export async function adminStatsFlow(ctx: FlowContext) {
  const bob = await ctx.user('bob');
  const { client: bobClient } = await ctx.session(bob);
  await rejects(
    bobClient.admin.stats.query(),
    { code: 'FORBIDDEN', reason: 'ADMIN_REQUIRED' },
    'admin.stats as a non-admin',
  );
  const { client } = await adminSession(ctx);
  const stats = await client.admin.stats.query();
  check(stats.users >= 2, `stats.users ${stats.users}`);
  check(stats.verifiedUsers >= 2, `stats.verifiedUsers ${stats.verifiedUsers}`);
  check(stats.activeSessions >= 2, `stats.activeSessions ${stats.activeSessions}`);
  const list = await client.admin.users.list.query({ query: bob.email });
  equal(list.items.length, 1, 'users matching bob');
  equal(list.items[0]?.role, 'user', "bob's role");
  const me = list.items.find((user) => user.email === ctx.adminEmail);
  check(!me, 'the search for bob found the admin');
  const detail = await client.admin.users.get.query({ userId: list.items[0]?.id ?? '' });
  check(detail.sessions.length >= 1, "bob's sessions");
}

/** Disabling ends bob's sessions and refuses his password; enabling lets him in again. */
export async function adminDisableFlow(ctx: FlowContext) {
  const bob = await ctx.user('bob');
  const bobSession = await ctx.session(bob);
  const { client } = await adminSession(ctx);
  const disabled = await client.admin.users.disable.mutate({
    userId: bobSession.userId,
    reason: 'e2e',
  });
  check(disabled.user.disabledAt, 'disable left disabledAt empty');
  await rejects(bobSession.client.auth.me.query(), { code: 'UNAUTHORIZED' }, "bob's session");
  await rejects(
    ctx.signIn(bob, 'e2e disabled'),
    { code: 'FORBIDDEN', reason: 'ACCOUNT_DISABLED' },
    'signing in to a disabled account',
  );
  const enabled = await client.admin.users.enable.mutate({ userId: bobSession.userId });
  equal(enabled.user.disabledAt, null, 'enable disabledAt');
  const again = await ctx.signIn(bob, 'e2e enabled');
  equal((await again.client.auth.me.query()).user.email, bob.email, 'bob signed in again');
  const events = await client.admin.securityEvents.list.query({
    userId: bobSession.userId,
    type: 'admin-action',
  });
  check(events.items.length >= 2, `${events.items.length} admin-action events for bob`);
}
