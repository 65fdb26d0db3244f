import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { peers } from '../src/db/schema.js';
import { type SignedInUser, signInAs, verifiedAccount } from './support/accounts.js';
import { createTestDatabase, onPostgres } from './support/database.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';
import { openRawClient, type RawClient, type RawResponse } from './support/sig-raw.js';
import { until } from './support/sig-wait.js';

/**
 * SPEC §6.1 "Peers": at most MAX_PEERS_PER_SESSION (5) open `signaling.events` per session and 20
 * per user, counted over every live instance; beyond, TOO_MANY_REQUESTS TOO_MANY_PEERS. Decided
 * race-free, so a burst of opens never ends above a limit.
 */
const PER_SESSION = 5;
const PER_USER = 20;

const RATE_LIMITS = roomyLimits({
  'signIn.emailIp': { max: 10_000, windowSeconds: 900 },
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS } });
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

/** `count` sessions of one fresh account. */
async function sessionsOf(name: string, count: number, target = server) {
  const account = await verifiedAccount(target, name);
  const sessions: SignedInUser[] = [];
  for (let i = 0; i < count; i++) sessions.push(await signInAs(target, account));
  return sessions;
}

const subscribe = (id: number) => ({
  id,
  method: 'subscription',
  params: { path: 'signaling.events', input: { json: null } },
});

/** Opens a subscription with request `id` and waits for its first answer: ready, or an error. */
async function openPeer(socket: RawClient, id: number): Promise<RawResponse> {
  socket.send(subscribe(id));
  return socket.reply(id);
}

const isReady = (response: RawResponse) => response.result?.data?.type === 'ready';

function expectTooManyPeers(response: RawResponse) {
  expect(response.error?.data).toMatchObject({
    code: 'TOO_MANY_REQUESTS',
    httpStatus: 429,
    reason: 'TOO_MANY_PEERS',
    retryAfterSeconds: expect.any(Number),
  });
}

async function peerRows(where: { userId?: string; sessionId?: string }) {
  return server.app.deps.db
    .select({ id: peers.id, sessionId: peers.sessionId })
    .from(peers)
    .where(
      and(
        where.userId ? eq(peers.userId, where.userId) : undefined,
        where.sessionId ? eq(peers.sessionId, where.sessionId) : undefined,
      ),
    );
}

describe(`per session: ${PER_SESSION}`, () => {
  it(`opens ${PER_SESSION} peers, refuses the next with TOO_MANY_PEERS; another session still opens`, async () => {
    const [first, second] = await sessionsOf('Ada', 2);
    if (!first || !second) throw new Error('two sessions expected');
    const socket = await socketAt(server, first);
    for (let id = 1; id <= PER_SESSION; id++)
      expect(isReady(await openPeer(socket, id))).toBe(true);

    expectTooManyPeers(await openPeer(socket, PER_SESSION + 1));
    // A second socket of the same session gets no more.
    expectTooManyPeers(await openPeer(await socketAt(server, first), 1));
    expect(await peerRows({ sessionId: first.sessionId })).toHaveLength(PER_SESSION);

    expect(isReady(await openPeer(await socketAt(server, second), 1))).toBe(true);
  });

  it('a closed subscription frees its slot', async () => {
    const [user] = await sessionsOf('Bea', 1);
    if (!user) throw new Error('a session expected');
    const socket = await socketAt(server, user);
    for (let id = 1; id <= PER_SESSION; id++)
      expect(isReady(await openPeer(socket, id))).toBe(true);
    expectTooManyPeers(await openPeer(socket, 10));

    socket.send({ id: 3, method: 'subscription.stop' });
    // `stopped` follows the subscription's cleanup, which removes its peer.
    await until(
      () => socket.responses.some((r) => r.id === 3 && r.result?.type === 'stopped'),
      5000,
      'subscription 3 to stop',
    );
    expect(isReady(await openPeer(socket, 11))).toBe(true);
    expectTooManyPeers(await openPeer(socket, 12));
  });

  it(`a socket that dies frees its slots`, async () => {
    const [user] = await sessionsOf('Cid', 1);
    if (!user) throw new Error('a session expected');
    const first = await socketAt(server, user);
    for (let id = 1; id <= PER_SESSION; id++) expect(isReady(await openPeer(first, id))).toBe(true);

    first.close();
    const second = await socketAt(server, user);
    const deadline = Date.now() + 5000;
    let answer = await openPeer(second, 1);
    // The server notices the dead socket and removes its peers; then the session opens again.
    for (let id = 2; !isReady(answer); id++) {
      expectTooManyPeers(answer);
      if (Date.now() > deadline) throw new Error('the dead socket’s slots were never freed');
      answer = await openPeer(second, id);
    }
    expect(await peerRows({ sessionId: user.sessionId })).toHaveLength(1);
  });
});

describe(`per user: ${PER_USER} over all sessions`, () => {
  it(`opens ${PER_USER} over ${PER_USER / PER_SESSION} sessions; a further session is refused`, async () => {
    const sessions = await sessionsOf('Dora', PER_USER / PER_SESSION + 1);
    const last = sessions.pop();
    if (!last) throw new Error('sessions expected');
    for (const session of sessions) {
      const socket = await socketAt(server, session);
      for (let id = 1; id <= PER_SESSION; id++) {
        expect(isReady(await openPeer(socket, id))).toBe(true);
      }
    }
    expectTooManyPeers(await openPeer(await socketAt(server, last), 1));
    expect(await peerRows({ userId: last.userId })).toHaveLength(PER_USER);
  });
});

describe('a concurrent burst never ends above a limit', () => {
  it('one WebSocket message with 12 subscriptions of one session: exactly 5 open', async () => {
    const [user] = await sessionsOf('Eve', 1);
    if (!user) throw new Error('a session expected');
    const socket = await socketAt(server, user);
    socket.send(Array.from({ length: 12 }, (_, i) => subscribe(i + 1)));
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => socket.reply(i + 1)));

    const refused = answers.filter((answer) => !isReady(answer));
    expect(answers.filter(isReady)).toHaveLength(PER_SESSION);
    for (const answer of refused) expectTooManyPeers(answer);
    expect(await peerRows({ sessionId: user.sessionId })).toHaveLength(PER_SESSION);
  });

  it(`5 sessions on 10 sockets opening 30 peers at once: ${PER_USER} open, at most ${PER_SESSION} a session`, async () => {
    const sessions = await sessionsOf('Fay', 5);
    const sockets = await Promise.all(
      sessions.flatMap((session) => [socketAt(server, session), socketAt(server, session)]),
    );
    for (const socket of sockets) socket.send([subscribe(1), subscribe(2), subscribe(3)]);
    const answers = (
      await Promise.all(
        sockets.map((socket) => Promise.all([1, 2, 3].map((id) => socket.reply(id)))),
      )
    ).flat();

    expect(answers.filter(isReady)).toHaveLength(PER_USER);
    for (const answer of answers.filter((a) => !isReady(a))) expectTooManyPeers(answer);
    const rows = await peerRows({ userId: sessions[0]?.userId ?? '' });
    expect(rows).toHaveLength(PER_USER);
    for (const session of sessions) {
      expect(rows.filter((row) => row.sessionId === session.sessionId).length).toBeLessThanOrEqual(
        PER_SESSION,
      );
    }
  });
});

describe.runIf(onPostgres)('two instances on one PostgreSQL database', () => {
  it(`count each other’s peers: 8 opens of one session at once, 4 on each, open exactly ${PER_SESSION}`, async () => {
    const database = await createTestDatabase();
    const one = await startTestServer({ database, env: { RATE_LIMITS } });
    let two: TestServer | undefined;
    try {
      // Before the second instance starts, so that the first one's mail worker sends the code.
      const [user] = await sessionsOf('Gus', 1, one);
      if (!user) throw new Error('a session expected');
      two = await startTestServer({ database, env: { RATE_LIMITS } });
      const sockets = [await socketAt(one, user), await socketAt(two, user)];
      for (const socket of sockets) socket.send([1, 2, 3, 4].map(subscribe));
      const answers = (
        await Promise.all(
          sockets.map((socket) => Promise.all([1, 2, 3, 4].map((id) => socket.reply(id)))),
        )
      ).flat();

      expect(answers.filter(isReady)).toHaveLength(PER_SESSION);
      for (const answer of answers.filter((a) => !isReady(a))) expectTooManyPeers(answer);
    } finally {
      for (const client of opened.splice(0)) client.close();
      await one.stop();
      await two?.stop();
      await database.drop();
    }
  });
});
