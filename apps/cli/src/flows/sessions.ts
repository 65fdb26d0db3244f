import { randomUUID } from 'node:crypto';
import { check, equal, rejects } from './assert.js';
import type { FlowContext } from './context.js';

/** sessions.list → revoke another session (its token is refused at once) → revokeAll but this one. */
export async function sessionsFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const laptop = await ctx.signIn(alice, 'e2e laptop');
  const phone = await ctx.signIn(alice, 'e2e phone');

  const list = await laptop.client.sessions.list.query();
  const ids = list.map((session) => session.id);
  check(ids.includes(laptop.sessionId), 'the list lacks this session');
  check(ids.includes(phone.sessionId), 'the list lacks the other session');
  const current = list.filter((session) => session.current);
  equal(current.length, 1, 'sessions marked current');
  equal(current[0]?.id, laptop.sessionId, 'the current session');
  const sorted = [...list].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  equal(ids.join(), sorted.map((s) => s.id).join(), 'order (newest first)');
  const tokens = await laptop.client.tokenStore.get();
  check(
    tokens && !JSON.stringify(list).includes(tokens.refreshToken.slice(0, 16)),
    'the list leaks a token',
  );

  const revoked = await laptop.client.sessions.revoke.mutate({ sessionId: phone.sessionId });
  equal(revoked.sessionId, phone.sessionId, 'revoke sessionId');
  await rejects(phone.client.auth.me.query(), { code: 'UNAUTHORIZED' }, "the revoked session's me");
  const after = await laptop.client.sessions.list.query();
  check(!after.some((s) => s.id === phone.sessionId), 'the revoked session is still listed');

  await rejects(
    laptop.client.sessions.revoke.mutate({ sessionId: randomUUID() }),
    { code: 'NOT_FOUND', reason: 'SESSION_NOT_FOUND' },
    'revoking an unknown session',
  );

  const tablet = await ctx.signIn(alice, 'e2e tablet');
  const all = await laptop.client.sessions.revokeAll.mutate({ includeCurrent: false });
  check(all.revoked.includes(tablet.sessionId), 'revokeAll left another session');
  check(
    !all.revoked.includes(laptop.sessionId),
    'revokeAll without includeCurrent revoked this one',
  );
  await rejects(
    tablet.client.auth.me.query(),
    { code: 'UNAUTHORIZED' },
    "a revoked-all session's me",
  );
  equal((await laptop.client.auth.me.query()).session.id, laptop.sessionId, 'the kept session');
}
