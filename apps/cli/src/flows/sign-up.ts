import { check, equal, rejects } from './assert.js';
import type { FlowContext } from './context.js';

/** sign-up → mailed code → verify; a wrong code is CODE_INVALID, a taken email EMAIL_TAKEN. */
export async function signUpFlow(ctx: FlowContext) {
  const alice = ctx.newUser('alice');
  const client = ctx.client();
  const { user } = await client.auth.signUp.mutate({
    name: alice.name,
    // Emails are trimmed and compared case-insensitively.
    email: `  ${alice.email.toUpperCase()} `,
    password: alice.password,
  });
  equal(user.email, alice.email, 'signUp user.email');
  equal(user.name, alice.name, 'signUp user.name');
  equal(user.emailVerified, false, 'signUp user.emailVerified');

  await rejects(
    client.auth.signUp.mutate(alice),
    { code: 'CONFLICT', reason: 'EMAIL_TAKEN' },
    'signing up twice',
  );
  await rejects(
    client.auth.signIn.mutate({ email: alice.email, password: alice.password }),
    { code: 'FORBIDDEN', reason: 'EMAIL_NOT_VERIFIED' },
    'signing in before verifying',
  );

  const mail = await ctx.mail.next(alice.email, 'verify-email');
  check(mail.code && /^\d{6}$/.test(mail.code), `the mailed code is not 6 digits: ${mail.code}`);
  const wrong = String((Number(mail.code) + 1) % 1_000_000).padStart(6, '0');
  await rejects(
    client.auth.verifyEmail.mutate({ email: alice.email, code: wrong }),
    { code: 'BAD_REQUEST', reason: 'CODE_INVALID' },
    'verifying with a wrong code',
  );

  const verified = await client.auth.verifyEmail.mutate({ email: alice.email, code: mail.code });
  equal(verified.verified, true, 'verifyEmail.verified');
  equal(verified.alreadyVerified, false, 'verifyEmail.alreadyVerified');
  ctx.adopt('alice', alice);
}
