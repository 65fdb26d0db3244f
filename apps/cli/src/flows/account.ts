import { check, equal, rejects } from './assert.js';
import type { FlowContext } from './context.js';

/**
 * SPEC §10, the account's own side. Each flow uses a session already open (see
 * `FlowContext.session`): none of them signs in with a password.
 */

/** The log holds the account's sign-ins, newest first, own only; a page of one has a next page. */
export async function securityLogFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const { client, sessionId } = await ctx.session(alice);
  const log = await client.account.securityLog.query({ type: 'sign-in', limit: 100 });
  check(log.items.length >= 2, `${log.items.length} sign-in events`);
  check(
    log.items.every((event) => event.type === 'sign-in'),
    'the type filter let another type through',
  );
  check(
    log.items.some((event) => event.sessionId === sessionId),
    'the log lacks the sign-in of this session',
  );
  const times = log.items.map((event) => event.at.getTime());
  equal(times.join(), [...times].sort((a, b) => b - a).join(), 'order (newest first)');
  const first = await client.account.securityLog.query({ limit: 1 });
  equal(first.items.length, 1, 'a page of 1');
  check(first.nextCursor, 'a page of 1 has no next cursor');
  const second = await client.account.securityLog.query({ limit: 1, cursor: first.nextCursor });
  check(second.items[0]?.id !== first.items[0]?.id, 'the next page repeats the first');
}

export async function profileFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const { client } = await ctx.session(alice);
  const name = `${alice.name} Renamed`;
  const { user } = await client.account.updateProfile.mutate({ name });
  equal(user.name, name, 'updateProfile user.name');
  equal((await client.auth.me.query()).user.name, name, 'me user.name');
  alice.name = name;
}

/** changeEmail mails a code to the new address; confirming moves the account, the old one is told. */
export async function emailChangeFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const { client } = await ctx.session(alice);
  const bob = await ctx.user('bob');
  await rejects(
    client.account.changeEmail.mutate({ newEmail: bob.email, currentPassword: alice.password }),
    { code: 'CONFLICT', reason: 'EMAIL_TAKEN' },
    "changing to bob's address",
  );
  const old = alice.email;
  const newEmail = old.replace('@', '-moved@');
  equal(
    (await client.account.changeEmail.mutate({ newEmail, currentPassword: alice.password })).ok,
    true,
    'changeEmail ok',
  );
  equal((await client.auth.me.query()).user.email, old, 'the address before confirming');
  const mail = await ctx.mail.next(newEmail, 'email-change');
  check(mail.code, 'the email-change mail has no code');
  const { user } = await client.account.confirmEmailChange.mutate({ code: mail.code });
  equal(user.email, newEmail, 'confirmEmailChange user.email');
  alice.email = newEmail;
  await ctx.mail.next(old, 'email-changed');
  const log = await client.account.securityLog.query({ type: 'email-changed' });
  equal(log.items.length, 1, 'email-changed events');
}

/** The export holds the account as it is now: profile, this session, the log. */
export async function exportFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const { client, sessionId, userId } = await ctx.session(alice);
  const data = await client.account.export.query();
  equal(data.profile.id, userId, 'export profile.id');
  equal(data.profile.email, alice.email, 'export profile.email');
  equal(data.profile.name, alice.name, 'export profile.name');
  check(
    data.sessions.some((session) => session.id === sessionId),
    'the export lacks this session',
  );
  check(
    data.securityEvents.some((event) => event.type === 'sign-in'),
    'the export lacks the sign-ins',
  );
  check(!JSON.stringify(data).includes(alice.password), 'the export holds the password');
}

/** The last flow: alice goes, and her session with her. */
export async function deleteFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const { client } = await ctx.session(alice);
  equal(
    (await client.account.delete.mutate({ currentPassword: alice.password, confirm: 'DELETE' })).ok,
    true,
    'delete ok',
  );
  await rejects(client.auth.me.query(), { code: 'UNAUTHORIZED' }, 'me after deletion');
}
