import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { peers } from '../src/db/schema.js';
import { signedInUser, signInAs, verifiedAccount } from './support/accounts.js';
import { fetchJson, type Json } from './support/http.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';
import { openRawClient, type RawClient } from './support/sig-raw.js';
import { until } from './support/sig-wait.js';

/**
 * SPEC §6.1 "Batches": at most MAX_BATCH_SIZE (20) calls in one HTTP batch or one WebSocket
 * message; a larger one is refused whole, BAD_REQUEST BATCH_TOO_LARGE, and none of its calls runs.
 */
const LIMIT = 20;

const RATE_LIMITS = roomyLimits();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS } });
});
afterAll(() => server.stop());

const opened: RawClient[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

async function socketOf(accessToken: string) {
  const client = await openRawClient(server, { accessToken, answerPings: true });
  opened.push(client);
  return client;
}

/** A signed-in user with a raw socket subscribed to `signaling.events` (request id 1). */
async function online(name: string) {
  const user = await signedInUser(server, { name });
  const socket = await socketOf(user.accessToken);
  const peerId = await socket.subscribeSignaling(1);
  return { user, socket, peerId };
}

const call = (
  id: number,
  method: 'query' | 'mutation' | 'subscription',
  path: string,
  json: unknown,
) => ({
  id,
  method,
  params: { path, input: { json } },
});

const candidate = (label: string) => ({
  candidate: `candidate:1 1 udp 2122260223 192.0.2.1 9 typ host ufrag ${label}`,
  sdpMid: '0',
  sdpMLineIndex: 0,
  usernameFragment: label,
});

/** Relay calls with ids `first`, `first + 1`…, each to `peerId`, labelled by id. */
const relays = (first: number, count: number, peerId: string) =>
  Array.from({ length: count }, (_, i) =>
    call(first + i, 'mutation', 'signaling.sendIceCandidate', {
      to: { peerId },
      candidate: candidate(`c${first + i}`),
    }),
  );

/** The candidates (by label) a subscriber has received on subscription 1, in order. */
function candidatesSeen(socket: RawClient): string[] {
  return socket.responses.flatMap((response) => {
    const data = response.id === 1 ? response.result?.data : undefined;
    return data?.type === 'ice-candidate' ? [data.candidate.usernameFragment as string] : [];
  });
}

/**
 * Proves that nothing else will arrive from `sender` to `target`: a relay sent after the rest
 * arrives after anything sent before it (one sender's relays to one peer keep their order).
 */
async function flush(sender: RawClient, target: { socket: RawClient; peerId: string }, id: number) {
  sender.send(relays(id, 1, target.peerId)[0]);
  expect((await sender.reply(id)).result?.data).toEqual({ delivered: true, peers: 1 });
  await until(() => candidatesSeen(target.socket).includes(`c${id}`), 5000, 'the flush relay');
}

describe(`one WebSocket message with more than ${LIMIT} calls`, () => {
  it(`answers each of ${LIMIT + 1} relay calls BAD_REQUEST BATCH_TOO_LARGE and relays none, fast path included`, async () => {
    const alice = await online('Alice');
    const bob = await online('Bob');

    alice.socket.send(relays(2, LIMIT + 1, bob.peerId));
    for (let id = 2; id < 2 + LIMIT + 1; id++) {
      const reply = await alice.socket.reply(id);
      expect(reply.error?.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'BATCH_TOO_LARGE' });
    }
    await flush(alice.socket, bob, 100);
    expect(candidatesSeen(bob.socket)).toEqual(['c100']);
  });

  it(`runs none of ${LIMIT + 1} calls: no session revoked, no peer opened`, async () => {
    const account = await verifiedAccount(server, 'Carol');
    const caller = await signInAs(server, account);
    const other = await signInAs(server, account);
    const socket = await socketOf(caller.accessToken);

    socket.send([
      call(1, 'subscription', 'signaling.events', null),
      ...Array.from({ length: LIMIT }, (_, i) =>
        call(2 + i, 'mutation', 'sessions.revokeAll', { includeCurrent: true }),
      ),
    ]);
    for (let id = 1; id <= LIMIT + 1; id++) {
      expect((await socket.reply(id)).error?.data).toMatchObject({
        code: 'BAD_REQUEST',
        reason: 'BATCH_TOO_LARGE',
      });
    }

    // The same socket still works, and both sessions are alive.
    socket.send(call(50, 'query', 'auth.me', null));
    expect((await socket.reply(50)).result?.data?.session.id).toBe(caller.sessionId);
    expect((await other.client.auth.me.query()).session.id).toBe(other.sessionId);
    const rows = await server.app.deps.db
      .select({ id: peers.id })
      .from(peers)
      .where(eq(peers.userId, caller.userId));
    expect(rows).toEqual([]);
  });

  it(`runs a message of exactly ${LIMIT} relay calls, every one delivered in order`, async () => {
    const alice = await online('Alice');
    const bob = await online('Bob');

    alice.socket.send(relays(2, LIMIT, bob.peerId));
    for (let id = 2; id < 2 + LIMIT; id++) {
      expect((await alice.socket.reply(id)).result?.data).toEqual({ delivered: true, peers: 1 });
    }
    await until(() => candidatesSeen(bob.socket).length === LIMIT, 5000, `${LIMIT} candidates`);
    expect(candidatesSeen(bob.socket)).toEqual(
      Array.from({ length: LIMIT }, (_, i) => `c${2 + i}`),
    );
  });
});

describe(`an HTTP batch of more than ${LIMIT} calls`, () => {
  const batch = (accessToken: string, path: string, count: number, json: unknown) => {
    const inputs = Object.fromEntries(Array.from({ length: count }, (_, i) => [i, { json }]));
    return fetchJson(
      `${server.url}/trpc/${Array.from({ length: count }, () => path).join(',')}?batch=1`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify(inputs),
      },
    );
  };
  /** tRPC answers a batch refused whole with one error, or one per call: every one must say why. */
  const errorsOf = (body: Json): Json[] => (Array.isArray(body) ? body : [body]);

  it(`is refused with 400 BATCH_TOO_LARGE: ${LIMIT + 1} sessions.revokeAll revoke nothing`, async () => {
    const account = await verifiedAccount(server, 'Dave');
    const caller = await signInAs(server, account);
    const other = await signInAs(server, account);

    const res = await batch(caller.accessToken, 'sessions.revokeAll', LIMIT + 1, {
      includeCurrent: true,
    });

    expect(res.status).toBe(400);
    for (const item of errorsOf(res.body)) {
      expect(item.error.json.data).toMatchObject({
        code: 'BAD_REQUEST',
        httpStatus: 400,
        reason: 'BATCH_TOO_LARGE',
      });
    }
    expect((await caller.client.auth.me.query()).session.id).toBe(caller.sessionId);
    expect((await other.client.auth.me.query()).session.id).toBe(other.sessionId);
  });

  it(`runs a batch of exactly ${LIMIT}: every call answered, the other session revoked`, async () => {
    const account = await verifiedAccount(server, 'Erin');
    const caller = await signInAs(server, account);
    const other = await signInAs(server, account);

    const res = await batch(caller.accessToken, 'sessions.revokeAll', LIMIT, {
      includeCurrent: false,
    });

    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(LIMIT);
    const revoked = (res.body as Json[]).flatMap((item) => item.result.data.json.revoked);
    expect(revoked).toEqual([other.sessionId]);
    expect((await caller.client.auth.me.query()).session.id).toBe(caller.sessionId);
  });
});
