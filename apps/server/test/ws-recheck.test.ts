import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../src/db/schema.js';
import { type SignedInUser, signedInUser, signInAs, verifiedAccount } from './support/accounts.js';
import { onPostgres } from './support/database.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';
import { openRawClient, type RawClient, type RawResponse } from './support/sig-raw.js';
import { since, until } from './support/sig-wait.js';

/**
 * SPEC §6.1 "Sockets and revocation": a socket's proven session and every open subscription's
 * session are re-checked against the database at least every SESSION_RECHECK_INTERVAL_MS and
 * whenever the bus reconnects, so a socket does not outlive its session when the bus event that
 * should have ended it never came. Sessions are ended here by writing the database directly,
 * which publishes nothing on the bus.
 */
const RECHECK_MS = 300;
/** Slack for the query, the relay and the test's own polling on a loaded machine. */
const MARGIN_MS = 1500;

const RATE_LIMITS = roomyLimits();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: { RATE_LIMITS, SESSION_RECHECK_INTERVAL_MS: String(RECHECK_MS) },
  });
});
afterAll(() => server.stop());

const opened: RawClient[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

async function socketAt(target: TestServer, user: SignedInUser) {
  const client = await openRawClient(target, { accessToken: user.accessToken, answerPings: true });
  opened.push(client);
  return client;
}

const relay = (id: number, peerId: string) => ({
  id,
  method: 'mutation',
  params: {
    path: 'signaling.sendIceCandidate',
    input: {
      json: {
        to: { peerId },
        candidate: { candidate: `candidate:1 1 udp 1 192.0.2.1 9 typ host ufrag r${id}` },
      },
    },
  },
});
const me = (id: number) => ({
  id,
  method: 'query',
  params: { path: 'auth.me', input: { json: null } },
});

/** The error that ended request `id` (a subscription's end, or a call's refusal). */
async function errorOf(socket: RawClient, id: number, timeoutMs: number): Promise<RawResponse> {
  let found: RawResponse | undefined;
  await until(
    () => {
      found = socket.responses.find((r) => r.id === id && r.error !== undefined);
      return found !== undefined;
    },
    timeoutMs,
    `request ${id} to end with an error`,
  );
  return found as RawResponse;
}

/** Ways a session ends by a database write alone. */
const ENDINGS = {
  revoked: { revokedAt: sql`now()`, revokedReason: 'ended by the test' },
  'past its absolute end': { expiresAt: sql`now() - interval '1 second'` },
  idle: { lastUsedAt: sql`now() - interval '30 days'` },
} as const;
type Ending = keyof typeof ENDINGS;

async function endInDatabase(target: TestServer, sessionId: string, ending: Ending) {
  const rows = await target.app.deps.db
    .update(sessions)
    .set(ENDINGS[ending])
    .where(eq(sessions.id, sessionId))
    .returning({ id: sessions.id });
  expect(rows).toHaveLength(1);
}

describe.each(Object.keys(ENDINGS) as Ending[])('a session %s in the database only', (ending) => {
  it('ends its subscription and refuses the next relay call UNAUTHORIZED within the interval', async () => {
    const alice = await signedInUser(server, { name: 'Alice' });
    const bob = await signedInUser(server, { name: 'Bob' });
    const aliceSocket = await socketAt(server, alice);
    await aliceSocket.subscribeSignaling(1);
    const bobSocket = await socketAt(server, bob);
    const bobPeer = await bobSocket.subscribeSignaling(1);
    aliceSocket.send(relay(2, bobPeer));
    expect((await aliceSocket.reply(2)).result?.data).toEqual({ delivered: true, peers: 1 });

    const started = performance.now();
    await endInDatabase(server, alice.sessionId, ending);

    const ended = await errorOf(aliceSocket, 1, RECHECK_MS + MARGIN_MS);
    expect(ended.error?.data).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(since(started)).toBeLessThan(RECHECK_MS + MARGIN_MS);
    aliceSocket.send(relay(3, bobPeer));
    expect((await aliceSocket.reply(3)).error?.data).toMatchObject({ code: 'UNAUTHORIZED' });
    // Bob's subscription is untouched.
    expect(bobSocket.responses.some((r) => r.id === 1 && r.error)).toBe(false);
  });

  it('refuses calls on a socket without a subscription that proved it, within the interval', async () => {
    const user = await signedInUser(server, { name: 'Carol' });
    const socket = await socketAt(server, user);
    socket.send(me(1));
    expect((await socket.reply(1)).result?.data?.session.id).toBe(user.sessionId);

    const started = performance.now();
    await endInDatabase(server, user.sessionId, ending);

    // Calls keep going through on the socket's proof until the re-check finds the session gone.
    let id = 2;
    let answer: RawResponse | undefined;
    while (since(started) < RECHECK_MS + MARGIN_MS) {
      socket.send(me(id));
      answer = await socket.reply(id);
      if (answer.error) break;
      id += 1;
    }
    expect(answer?.error?.data).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

it('other sessions of the same user keep their sockets', async () => {
  const account = await verifiedAccount(server, 'Dave');
  const ended = await signInAs(server, account);
  const kept = await signInAs(server, account);
  const endedSocket = await socketAt(server, ended);
  const keptSocket = await socketAt(server, kept);
  await endedSocket.subscribeSignaling(1);
  await keptSocket.subscribeSignaling(1);

  await endInDatabase(server, ended.sessionId, 'revoked');
  await errorOf(endedSocket, 1, RECHECK_MS + MARGIN_MS);

  // The re-check that ended the one session looked at the other one too, and kept it.
  keptSocket.send(me(2));
  expect((await keptSocket.reply(2)).result?.data?.session.id).toBe(kept.sessionId);
  expect(keptSocket.responses.some((r) => r.id === 1 && r.error)).toBe(false);
});

it('a socket in use keeps its session from idling out, without a subscription too', async () => {
  const user = await signedInUser(server, { name: 'Erin' });
  const socket = await socketAt(server, user);
  socket.send(me(1));
  await socket.reply(1);
  // An hour without use: still live (the idle limit is days), but visibly old.
  await server.app.deps.db
    .update(sessions)
    .set({ lastUsedAt: sql`now() - interval '1 hour'` })
    .where(eq(sessions.id, user.sessionId));
  socket.send(me(2));
  await socket.reply(2);

  const lastUsed = async () => {
    const [row] = await server.app.deps.db
      .select({ at: sessions.lastUsedAt })
      .from(sessions)
      .where(eq(sessions.id, user.sessionId));
    return row?.at.getTime() ?? 0;
  };
  const deadline = Date.now() + RECHECK_MS + MARGIN_MS;
  while ((await lastUsed()) < Date.now() - 60_000) {
    if (Date.now() > deadline) throw new Error('the session in use was not touched');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

describe.runIf(onPostgres)('when the bus reconnects', () => {
  // The default interval (30 s): within this test, only the reconnect can trigger a re-check.
  let fresh: TestServer;
  beforeAll(async () => {
    fresh = await startTestServer({ env: { RATE_LIMITS } });
  });
  afterAll(() => fresh.stop());

  it('re-checks at once: a session revoked while the bus was down ends on every socket without waiting 30 s', async () => {
    const account = await verifiedAccount(fresh, 'Fay');
    const subscribed = await signInAs(fresh, account);
    const socket = await socketAt(fresh, subscribed);
    await socket.subscribeSignaling(1);
    // Another session whose socket only made a call: it holds the proof, no subscription.
    const calling = await signInAs(fresh, account);
    const caller = await socketAt(fresh, calling);
    caller.send(me(1));
    expect((await caller.reply(1)).result?.data?.session.id).toBe(calling.sessionId);

    // The revocations' notifications are lost (nothing is published), then the listening
    // connection drops and comes back.
    await endInDatabase(fresh, subscribed.sessionId, 'revoked');
    await endInDatabase(fresh, calling.sessionId, 'revoked');
    const started = performance.now();
    // postgres.js returns the rows themselves.
    const killed = (await fresh.app.deps.db.execute(sql`
      select pg_terminate_backend(pid) as terminated from pg_stat_activity
      where datname = current_database() and query ilike 'listen%'`)) as unknown as {
      terminated: boolean;
    }[];
    expect(killed.map((row) => row.terminated)).toEqual([true]);

    const ended = await errorOf(socket, 1, 10_000);
    expect(ended.error?.data).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(since(started)).toBeLessThan(10_000);
    caller.send(me(2));
    expect((await caller.reply(2)).error?.data).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
