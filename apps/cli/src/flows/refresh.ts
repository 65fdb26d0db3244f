import { memoryTokenStore } from '@cryptweb/client';
import { createClient } from '../lib/context.js';
import { check, equal } from './assert.js';
import type { FlowContext } from './context.js';

/** refresh rotates the refresh token; presenting the previous one again within the grace works. */
export async function refreshFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const { client, sessionId } = await ctx.signIn(alice, 'e2e refresh');
  const before = await client.tokenStore.get();
  check(before, 'no tokens after sign-in');

  const rotated = await client.auth.refresh.mutate({ refreshToken: before.refreshToken });
  check(rotated.refreshToken !== before.refreshToken, 'the refresh token was not rotated');
  equal(
    (await client.tokenStore.get())?.refreshToken,
    rotated.refreshToken,
    'stored refresh token',
  );
  equal((await client.auth.me.query()).session.id, sessionId, 'session after refresh');

  // A lost response or two tabs at once: the just-rotated token still works within 10 s.
  const other = createClient(ctx.url, memoryTokenStore());
  try {
    const again = await other.auth.refresh.mutate({ refreshToken: before.refreshToken });
    check(again.accessToken, 'reusing the previous token within the grace gave no access token');
    equal((await other.auth.me.query()).session.id, sessionId, 'session after the grace reuse');
  } finally {
    await other.close();
  }
}
