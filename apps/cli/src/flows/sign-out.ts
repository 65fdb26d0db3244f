import { memoryTokenStore } from '@cryptweb/client';
import { createClient } from '../lib/context.js';
import { check, equal, rejects } from './assert.js';
import type { FlowContext } from './context.js';

/** signOut revokes this session: the tokens are dropped and the old access token is refused. */
export async function signOutFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const { client, sessionId } = await ctx.signIn(alice, 'e2e sign-out');
  const tokens = await client.tokenStore.get();
  check(tokens, 'no tokens after sign-in');

  equal((await client.auth.signOut.mutate()).sessionId, sessionId, 'signOut sessionId');
  equal(await client.tokenStore.get(), null, 'tokens kept after sign-out');
  await rejects(client.auth.me.query(), { code: 'UNAUTHORIZED' }, 'me after sign-out');

  // Someone who kept the tokens gets nowhere either: the access token and the refresh token.
  const kept = createClient(ctx.url, memoryTokenStore(tokens));
  try {
    await rejects(kept.auth.me.query(), { code: 'UNAUTHORIZED' }, 'the old access token');
    await rejects(
      kept.auth.refresh.mutate({ refreshToken: tokens.refreshToken }),
      { code: 'UNAUTHORIZED' },
      'the old refresh token',
    );
  } finally {
    await kept.close();
  }
}
