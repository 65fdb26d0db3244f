import { check, equal, rejects } from './assert.js';
import { type FlowContext, freshPassword } from './context.js';

/** forgot → mailed token → reset: every old session dies, the old password fails, the new works. */
export async function passwordResetFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const before = await ctx.signIn(alice, 'e2e before reset');
  const client = ctx.client();

  equal((await client.auth.forgotPassword.mutate({ email: alice.email })).ok, true, 'forgot ok');
  // Unknown emails get the same answer: no account enumeration.
  const unknown = await client.auth.forgotPassword.mutate({ email: `nobody-${alice.email}` });
  equal(unknown.ok, true, 'forgot ok for an unknown email');
  const mail = await ctx.mail.next(alice.email, 'reset-password');
  check(mail.token, 'the reset mail has no token');

  const next = freshPassword();
  await rejects(
    client.auth.resetPassword.mutate({
      token: mail.token,
      password: next,
      confirmPassword: `${next}x`,
    }),
    { code: 'BAD_REQUEST', reason: 'PASSWORDS_DIFFER' },
    'resetting with different passwords',
  );
  await rejects(
    client.auth.resetPassword.mutate({
      token: `${mail.token}x`,
      password: next,
      confirmPassword: next,
    }),
    { code: 'BAD_REQUEST', reason: 'TOKEN_INVALID' },
    'resetting with a wrong token',
  );
  const reset = await client.auth.resetPassword.mutate({
    token: mail.token,
    password: next,
    confirmPassword: next,
  });
  equal(reset.ok, true, 'reset ok');
  const old = alice.password;
  alice.password = next;

  await rejects(
    before.client.auth.me.query(),
    { code: 'UNAUTHORIZED' },
    'an old session after reset',
  );
  await rejects(
    client.auth.resetPassword.mutate({ token: mail.token, password: next, confirmPassword: next }),
    { code: 'BAD_REQUEST', reason: 'TOKEN_USED' },
    'using the reset token twice',
  );
  await rejects(
    client.auth.signIn.mutate({ email: alice.email, password: old }),
    { code: 'UNAUTHORIZED', reason: 'INVALID_CREDENTIALS' },
    'signing in with the old password',
  );
  const after = await ctx.signIn(alice, 'e2e after reset');
  equal((await after.client.auth.me.query()).user.email, alice.email, 'me after reset');
  await ctx.mail.next(alice.email, 'password-changed');
}
