import { isMfaRequired } from '@cryptweb/client';
import { check, equal, rejects } from './assert.js';
import type { FlowContext } from './context.js';

/** sign-in (a wrong password is INVALID_CREDENTIALS, an unknown email too) → tokens kept → me. */
export async function signInFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const client = ctx.client();
  await rejects(
    client.auth.signIn.mutate({ email: alice.email, password: `${alice.password}-wrong` }),
    { code: 'UNAUTHORIZED', reason: 'INVALID_CREDENTIALS' },
    'signing in with a wrong password',
  );
  await rejects(
    client.auth.signIn.mutate({ email: `nobody-${alice.email}`, password: alice.password }),
    { code: 'UNAUTHORIZED', reason: 'INVALID_CREDENTIALS' },
    'signing in with an unknown email',
  );
  check((await client.tokenStore.get()) === null, 'failed sign-ins stored tokens');

  const result = await client.auth.signIn.mutate({
    email: alice.email,
    password: alice.password,
    device: { name: 'e2e sign-in' },
  });
  check(!isMfaRequired(result), 'signIn asked for a second factor that alice never enrolled');
  equal(result.user.email, alice.email, 'signIn user.email');
  check(result.accessTokenExpiresAt > new Date(), 'the access token is already expired');
  const stored = await client.tokenStore.get();
  equal(stored?.accessToken, result.accessToken, 'the stored access token');

  const me = await client.auth.me.query();
  equal(me.user.id, result.user.id, 'me user.id');
  equal(me.user.emailVerified, true, 'me user.emailVerified');
  equal(me.session.id, result.session.id, 'me session.id');
  equal(me.session.current, true, 'me session.current');
  equal(me.session.device.name, 'e2e sign-in', 'me session.device.name');
}
