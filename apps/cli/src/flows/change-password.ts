import { equal, rejects } from './assert.js';
import { type FlowContext, freshPassword } from './context.js';

/** changePassword: a wrong current password is refused; the others sessions end, this one stays. */
export async function changePasswordFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const here = await ctx.signIn(alice, 'e2e change here');
  const elsewhere = await ctx.signIn(alice, 'e2e change elsewhere');
  const next = freshPassword();

  await rejects(
    here.client.auth.changePassword.mutate({
      currentPassword: `${alice.password}x`,
      newPassword: next,
    }),
    { code: 'BAD_REQUEST', reason: 'INVALID_CREDENTIALS' },
    'changing with a wrong current password',
  );
  const result = await here.client.auth.changePassword.mutate({
    currentPassword: alice.password,
    newPassword: next,
  });
  equal(result.ok, true, 'changePassword ok');
  const old = alice.password;
  alice.password = next;

  equal(
    (await here.client.auth.me.query()).session.id,
    here.sessionId,
    'this session after change',
  );
  await rejects(
    elsewhere.client.auth.me.query(),
    { code: 'UNAUTHORIZED' },
    'another session after change',
  );
  await rejects(
    ctx.client().auth.signIn.mutate({ email: alice.email, password: old }),
    { code: 'UNAUTHORIZED', reason: 'INVALID_CREDENTIALS' },
    'signing in with the old password',
  );
  await ctx.signIn(alice, 'e2e after change');
  await ctx.mail.next(alice.email, 'password-changed');
}
