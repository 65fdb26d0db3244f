import { randomUUID } from 'node:crypto';
import type { inferRouterInputs } from '@trpc/server';
import { sql } from 'drizzle-orm';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transfers } from '../src/db/schema.js';
import type { AppRouter } from '../src/routers/_app.js';
import { clientWithToken, type SignedInUser, signedInUser } from './support/accounts.js';
import { errorData } from './support/errors.js';
import { fetchJson, type Json } from './support/http.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';
import { openRawClient } from './support/sig-raw.js';

const RATE_LIMITS = roomyLimits();

type CompleteInput = inferRouterInputs<AppRouter>['transfers']['complete'];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS } });
});
afterAll(() => server.stop());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const invalidInput = { code: 'BAD_REQUEST', httpStatus: 400, reason: 'INVALID_INPUT' };
const unauthorized = { code: 'UNAUTHORIZED', httpStatus: 401 };

function transferTo(receiver: { email: string }, overrides: Partial<CompleteInput> = {}) {
  return {
    receiverEmail: receiver.email,
    fileName: 'holiday.jpg',
    fileSize: 123_456,
    fileType: 'image/jpeg',
    timeElapsed: 1500,
    transferType: 'WebRTC',
    ...overrides,
  } satisfies CompleteInput;
}

/** The public face of a user inside a Transfer: exactly these three fields. */
function party(user: SignedInUser) {
  return { id: user.userId, email: user.email, name: user.name };
}

/** A tRPC mutation over plain HTTP with an arbitrary JSON input, as a non-TypeScript client sends it. */
function rawMutation(path: string, input: unknown, accessToken?: string) {
  return fetchJson(`${server.url}/trpc/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify(superjson.serialize(input)),
  });
}

async function pair(names: [string, string] = ['Alice', 'Bob']) {
  const [a, b] = await Promise.all(names.map((name) => signedInUser(server, { name })));
  if (!a || !b) throw new Error('sign-up failed');
  return [a, b] as const;
}

describe('transfers.complete', () => {
  it('records a Transfer sent by the caller to the receiver found by email, case-insensitively', async () => {
    const [alice, bob] = await pair();
    const before = Date.now();
    const transfer = await alice.client.transfers.complete.mutate(
      transferTo({ email: `  ${bob.email.toUpperCase()}  ` }, { fileName: 'report final.pdf' }),
    );

    expect(Object.keys(transfer).sort()).toEqual(
      [
        'completedAt',
        'fileName',
        'fileSize',
        'fileType',
        'id',
        'receiver',
        'sender',
        'timeElapsed',
        'transferType',
      ].sort(),
    );
    expect(transfer.id).toMatch(UUID);
    expect(transfer.sender).toEqual(party(alice));
    expect(transfer.receiver).toEqual(party(bob));
    expect(transfer).toMatchObject({
      fileName: 'report final.pdf',
      fileSize: 123_456,
      fileType: 'image/jpeg',
      timeElapsed: 1500,
      transferType: 'WebRTC',
    });
    expect(transfer.completedAt).toBeInstanceOf(Date);
    expect(transfer.completedAt.getTime()).toBeGreaterThanOrEqual(before - 5000);
    expect(transfer.completedAt.getTime()).toBeLessThanOrEqual(Date.now() + 5000);

    // Both sides see the very same record.
    const [sent] = (await alice.client.transfers.list.query({ direction: 'sent' })).items;
    const [received] = (await bob.client.transfers.list.query({ direction: 'received' })).items;
    expect(sent).toEqual(transfer);
    expect(received).toEqual(transfer);
  });

  it('accepts the Relay transfer type and the boundaries of every field', async () => {
    const [alice, bob] = await pair();
    const transfer = await alice.client.transfers.complete.mutate(
      transferTo(bob, {
        fileName: 'n'.repeat(255),
        fileSize: 0,
        fileType: 't'.repeat(255),
        timeElapsed: 0,
        transferType: 'Relay',
      }),
    );
    expect(transfer).toMatchObject({
      fileName: 'n'.repeat(255),
      fileSize: 0,
      fileType: 't'.repeat(255),
      timeElapsed: 0,
      transferType: 'Relay',
    });
    const empty = await alice.client.transfers.complete.mutate(transferTo(bob, { fileType: '' }));
    expect(empty.fileType).toBe('');
  });

  it('never takes the sender from the input: a sender field is ignored or refused', async () => {
    const [alice, bob] = await pair();
    const mallory = await signedInUser(server, { name: 'Mallory' });
    const res = await rawMutation(
      'transfers.complete',
      {
        ...transferTo(bob),
        senderEmail: mallory.email,
        senderId: mallory.userId,
        sender: party(mallory),
      },
      alice.accessToken,
    );

    expect([200, 400]).toContain(res.status);
    if (res.status === 200) {
      expect(res.body.result.data.json.sender).toEqual(party(alice));
    } else {
      expect(res.body.error.json.data).toMatchObject(invalidInput);
    }
    // Whatever the answer, Mallory sent nothing and Bob got nothing from her.
    expect(await mallory.client.transfers.stats.query()).toEqual({
      sent: { count: 0, bytes: 0 },
      received: { count: 0, bytes: 0 },
    });
    const bobs = await bob.client.transfers.list.query();
    expect(bobs.items.every((item) => item.sender.id === alice.userId)).toBe(true);
  });

  it('answers NOT_FOUND RECEIVER_NOT_FOUND for an email without an account', async () => {
    const [alice] = await pair();
    const data = await errorData(
      alice.client.transfers.complete.mutate(transferTo({ email: 'nobody@example.test' })),
    );
    expect(data).toMatchObject({
      code: 'NOT_FOUND',
      httpStatus: 404,
      reason: 'RECEIVER_NOT_FOUND',
    });
    expect(await alice.client.transfers.stats.query()).toEqual({
      sent: { count: 0, bytes: 0 },
      received: { count: 0, bytes: 0 },
    });
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['an empty fileName', { fileName: '' }, 'fileName'],
    ['a fileName of 256 characters', { fileName: 'n'.repeat(256) }, 'fileName'],
    ['a negative fileSize', { fileSize: -1 }, 'fileSize'],
    ['a fractional fileSize', { fileSize: 1.5 }, 'fileSize'],
    ['a fileSize of 2^40+1 (SPEC §6.1: at most 2^40)', { fileSize: 2 ** 40 + 1 }, 'fileSize'],
    ['a fileSize of 2^53-1', { fileSize: Number.MAX_SAFE_INTEGER }, 'fileSize'],
    ['a fileType of 256 characters', { fileType: 't'.repeat(256) }, 'fileType'],
    ['a negative timeElapsed', { timeElapsed: -1 }, 'timeElapsed'],
    ['the transferType "Carrier pigeon"', { transferType: 'Carrier pigeon' }, 'transferType'],
    ['a receiverEmail that is no email', { receiverEmail: 'not-an-email' }, 'receiverEmail'],
  ];

  it.each(invalid)(
    'refuses %s with INVALID_INPUT naming the field',
    async (_, overrides, field) => {
      const [alice, bob] = await pair();
      const res = await rawMutation(
        'transfers.complete',
        { ...transferTo(bob), ...overrides },
        alice.accessToken,
      );
      expect(res.status).toBe(400);
      const data: Json = res.body.error.json.data;
      expect(data).toMatchObject(invalidInput);
      expect(Object.keys(data.fieldErrors)).toEqual([field]);
      expect(data.fieldErrors[field].length).toBeGreaterThan(0);
      for (const message of data.fieldErrors[field]) expect(message).toEqual(expect.any(String));
      expect(await alice.client.transfers.stats.query()).toEqual({
        sent: { count: 0, bytes: 0 },
        received: { count: 0, bytes: 0 },
      });
    },
  );

  it('keeps the largest file size, 2^40 bytes, exact through complete, list and stats', async () => {
    const [alice, bob] = await pair();
    const size = 2 ** 40;
    const elapsed = Number.MAX_SAFE_INTEGER;
    const transfer = await alice.client.transfers.complete.mutate(
      transferTo(bob, { fileSize: size, timeElapsed: elapsed }),
    );
    expect(transfer.fileSize).toBe(size);
    expect(transfer.timeElapsed).toBe(elapsed);

    const sent = await alice.client.transfers.list.query({ direction: 'sent' });
    expect(sent.items.map((item) => [item.fileSize, item.timeElapsed])).toEqual([[size, elapsed]]);
    const received = await bob.client.transfers.list.query({ direction: 'received' });
    expect(received.items.map((item) => item.fileSize)).toEqual([size]);

    expect(await alice.client.transfers.stats.query()).toEqual({
      sent: { count: 1, bytes: size },
      received: { count: 0, bytes: 0 },
    });
    expect(await bob.client.transfers.stats.query()).toEqual({
      sent: { count: 0, bytes: 0 },
      received: { count: 1, bytes: size },
    });
  });

  it('records all of 20 transfers completed at once', async () => {
    const [alice, bob] = await pair();
    // Twenty separate HTTP requests in flight together, not one batch.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        clientWithToken(server, alice.accessToken).transfers.complete.mutate(
          transferTo(bob, { fileName: `part-${i}.bin`, fileSize: 1000 + i }),
        ),
      ),
    );
    const ids = results.map((transfer) => transfer.id);
    expect(new Set(ids).size).toBe(20);

    const listed = await alice.client.transfers.list.query({ direction: 'sent', limit: 100 });
    expect(listed.items.map((item) => item.id).sort()).toEqual([...ids].sort());
    expect(listed.items.map((item) => item.fileName).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `part-${i}.bin`).sort(),
    );
    expect(listed.nextCursor).toBeNull();
    expect(await bob.client.transfers.stats.query()).toEqual({
      sent: { count: 0, bytes: 0 },
      received: { count: 20, bytes: 20 * 1000 + (19 * 20) / 2 },
    });
  });
});

describe('transfers.list', () => {
  it('lists newest first and filters by direction (all by default)', async () => {
    const [alice, bob] = await pair();
    const carol = await signedInUser(server, { name: 'Carol' });
    const first = await alice.client.transfers.complete.mutate(
      transferTo(bob, { fileName: '1.txt' }),
    );
    const second = await bob.client.transfers.complete.mutate(
      transferTo(alice, { fileName: '2.txt' }),
    );
    const third = await alice.client.transfers.complete.mutate(
      transferTo(carol, { fileName: '3.txt' }),
    );
    const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id);

    const all = await alice.client.transfers.list.query();
    expect(ids(all)).toEqual([third.id, second.id, first.id]);
    expect(all.nextCursor).toBeNull();
    expect(ids(await alice.client.transfers.list.query({ direction: 'all' }))).toEqual(ids(all));
    expect(ids(await alice.client.transfers.list.query({ direction: 'sent' }))).toEqual([
      third.id,
      first.id,
    ]);
    expect(ids(await alice.client.transfers.list.query({ direction: 'received' }))).toEqual([
      second.id,
    ]);
    expect(ids(await bob.client.transfers.list.query())).toEqual([second.id, first.id]);
    expect(ids(await carol.client.transfers.list.query({ direction: 'received' }))).toEqual([
      third.id,
    ]);
    expect(ids(await carol.client.transfers.list.query({ direction: 'sent' }))).toEqual([]);

    const completedAt = all.items.map((item) => item.completedAt.getTime());
    expect([...completedAt].sort((a, b) => b - a)).toEqual(completedAt);
  });

  it('takes a limit of 1 to 100 (20 by default) and refuses 0 and 101', async () => {
    const [alice, bob] = await pair();
    await Promise.all(
      Array.from({ length: 21 }, (_, i) =>
        // One request each: a client's batch of more than MAX_BATCH_SIZE (20) would be refused.
        clientWithToken(server, alice.accessToken).transfers.complete.mutate(
          transferTo(bob, { fileName: `${i}.bin` }),
        ),
      ),
    );
    expect((await alice.client.transfers.list.query()).items).toHaveLength(20);
    expect((await alice.client.transfers.list.query({ limit: 1 })).items).toHaveLength(1);
    expect((await alice.client.transfers.list.query({ limit: 100 })).items).toHaveLength(21);

    for (const limit of [0, 101, 1.5, -1]) {
      const data = await errorData(alice.client.transfers.list.query({ limit }));
      expect(data).toMatchObject(invalidInput);
      expect(data.fieldErrors).toEqual({ limit: [expect.any(String)] });
    }
    const data = await errorData(
      alice.client.transfers.list.query({
        direction: 'sideways' as unknown as 'all',
      }),
    );
    expect(data).toMatchObject(invalidInput);
    expect(data.fieldErrors).toEqual({ direction: [expect.any(String)] });
  });

  /** Walks every page with `nextCursor` and checks it against one page holding everything. */
  async function walk(user: SignedInUser, direction: 'sent' | 'received' | 'all') {
    const pages: string[][] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = await user.client.transfers.list.query({ direction, limit: 10, cursor });
      pages.push(page.items.map((item) => item.id));
      if (page.nextCursor === null) return pages;
      expect(page.nextCursor).toEqual(expect.any(String));
      cursor = page.nextCursor;
    }
    throw new Error('the cursor never ended');
  }

  it('pages through 25 transfers completed one after another, 10 at a time, without duplicates or gaps', async () => {
    const [alice, bob] = await pair();
    const created: string[] = [];
    for (let i = 0; i < 25; i++) {
      const transfer = await alice.client.transfers.complete.mutate(
        transferTo(bob, { fileName: `${i}.bin` }),
      );
      created.push(transfer.id);
    }
    const newestFirst = [...created].reverse();

    for (const [user, direction] of [
      [alice, 'sent'],
      [alice, 'all'],
      [bob, 'received'],
    ] as const) {
      const pages = await walk(user, direction);
      expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
      expect(pages.flat()).toEqual(newestFirst);
    }
  });

  it('pages through 25 transfers completed at once (several within one millisecond) without duplicates or gaps', async () => {
    const [alice, bob] = await pair();
    const created = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        // One request each: a client's batch of more than MAX_BATCH_SIZE (20) would be refused.
        clientWithToken(server, alice.accessToken).transfers.complete.mutate(
          transferTo(bob, { fileName: `${i}.bin` }),
        ),
      ),
    );
    const everything = await alice.client.transfers.list.query({ direction: 'sent', limit: 100 });
    expect(everything.items.map((item) => item.id).sort()).toEqual(
      created.map((transfer) => transfer.id).sort(),
    );

    for (const [user, direction] of [
      [alice, 'sent'],
      [alice, 'all'],
      [bob, 'received'],
    ] as const) {
      const pages = await walk(user, direction);
      expect(pages.flat()).toEqual(everything.items.map((item) => item.id));
      expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
    }
  });

  it('pages through 25 transfers that completed within one millisecond without duplicates or gaps', async () => {
    const [alice, bob] = await pair();
    // Only the database knows microseconds; the API cannot place transfers this close on purpose.
    const rows = await server.app.deps.db
      .insert(transfers)
      .values(
        Array.from({ length: 25 }, (_, i) => ({
          senderId: alice.userId,
          receiverId: bob.userId,
          fileName: `${i}.bin`,
          fileSize: i,
          fileType: 'application/octet-stream',
          timeElapsed: 10,
          transferType: 'WebRTC' as const,
          completedAt: sql`${`2024-05-01T12:00:00.123${String(i * 37).padStart(3, '0')}Z`}::timestamptz`,
        })),
      )
      .returning({ id: transfers.id });
    expect(rows).toHaveLength(25);

    const everything = await alice.client.transfers.list.query({ direction: 'sent', limit: 100 });
    expect(everything.items.map((item) => item.fileName)).toEqual(
      Array.from({ length: 25 }, (_, i) => `${24 - i}.bin`),
    );
    for (const [user, direction] of [
      [alice, 'sent'],
      [bob, 'received'],
    ] as const) {
      const pages = await walk(user, direction);
      expect(pages.flat()).toEqual(everything.items.map((item) => item.id));
      expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
    }
  });

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  it.each([
    ['plain garbage', 'garbage'],
    ['not base64url', '!!!***'],
    ['JSON null', encode(null)],
    ['an empty array', encode([])],
    ['an object', encode({ completedAt: '2024-01-01T00:00:00.000Z' })],
    ['a number', encode(42)],
    ['a date without an id', encode(['2024-01-01T00:00:00.000Z'])],
    ['an id that is no uuid', encode(['2024-01-01T00:00:00.000Z', 'x'.repeat(36)])],
    ['36 dashes for an id', encode(['2024-01-01T00:00:00.000Z', '-'.repeat(36)])],
    ['36 hex digits for an id', encode(['2024-01-01T00:00:00.000Z', 'a'.repeat(36)])],
    ['a date before 4713 BC', encode(['-271821-04-20T00:00:00.000Z', randomUUID()])],
    ['an invalid date', encode(['not a date', randomUUID()])],
    ['a cursor of 1000 characters', 'a'.repeat(1000)],
  ])(
    'refuses a cursor made of %s with BAD_REQUEST INVALID_INPUT, never a 500',
    async (_, cursor) => {
      const [alice, bob] = await pair();
      await alice.client.transfers.complete.mutate(transferTo(bob));
      const data = await errorData(alice.client.transfers.list.query({ cursor }));
      expect(data).toMatchObject(invalidInput);
      expect(data.fieldErrors).toEqual({ cursor: [expect.any(String)] });
    },
  );
});

describe('scoping', () => {
  it('a third user never sees, in list or stats, what two others sent each other', async () => {
    const [alice, bob] = await pair();
    const carol = await signedInUser(server, { name: 'Carol' });
    await alice.client.transfers.complete.mutate(transferTo(bob, { fileSize: 10 }));
    await bob.client.transfers.complete.mutate(transferTo(alice, { fileSize: 20 }));

    for (const direction of ['all', 'sent', 'received'] as const) {
      expect(await carol.client.transfers.list.query({ direction, limit: 100 })).toEqual({
        items: [],
        nextCursor: null,
      });
    }
    expect(await carol.client.transfers.stats.query()).toEqual({
      sent: { count: 0, bytes: 0 },
      received: { count: 0, bytes: 0 },
    });

    // Carol's own transfer to Alice is Alice's and Carol's, never Bob's.
    const mine = await carol.client.transfers.complete.mutate(transferTo(alice, { fileSize: 30 }));
    expect((await carol.client.transfers.list.query()).items.map((item) => item.id)).toEqual([
      mine.id,
    ]);
    expect((await bob.client.transfers.list.query()).items.map((item) => item.id)).not.toContain(
      mine.id,
    );
    expect(await bob.client.transfers.stats.query()).toEqual({
      sent: { count: 1, bytes: 20 },
      received: { count: 1, bytes: 10 },
    });
  });

  it('a cursor taken from another user’s list shows the caller only its own transfers', async () => {
    const [alice, bob] = await pair();
    const carol = await signedInUser(server, { name: 'Carol' });
    for (let i = 0; i < 3; i++) await alice.client.transfers.complete.mutate(transferTo(bob));
    const page = await alice.client.transfers.list.query({ limit: 1 });
    expect(page.nextCursor).toEqual(expect.any(String));
    const cursor = page.nextCursor ?? '';
    expect(await carol.client.transfers.list.query({ cursor })).toEqual({
      items: [],
      nextCursor: null,
    });
  });
});

describe('transfers.stats', () => {
  it('counts and sums exactly what the caller sent and received', async () => {
    const [alice, bob] = await pair();
    const carol = await signedInUser(server, { name: 'Carol' });
    for (const fileSize of [100, 2000, 30_000]) {
      await alice.client.transfers.complete.mutate(transferTo(bob, { fileSize }));
    }
    await bob.client.transfers.complete.mutate(transferTo(alice, { fileSize: 7 }));
    await carol.client.transfers.complete.mutate(transferTo(alice, { fileSize: 0 }));

    expect(await alice.client.transfers.stats.query()).toEqual({
      sent: { count: 3, bytes: 32_100 },
      received: { count: 2, bytes: 7 },
    });
    expect(await bob.client.transfers.stats.query()).toEqual({
      sent: { count: 1, bytes: 7 },
      received: { count: 3, bytes: 32_100 },
    });
    expect(await carol.client.transfers.stats.query()).toEqual({
      sent: { count: 1, bytes: 0 },
      received: { count: 0, bytes: 0 },
    });
  });

  // SPEC §6.1: stats can never fail whatever others record. Sums past 2^53 used to fail the
  // output schema (an int must be a safe integer): a 500 for the receiver, forever.
  it('answers with exact counts and finite bytes when the sums pass 2^53', async () => {
    const [alice, bob] = await pair();
    const carol = await signedInUser(server, { name: 'Carol' });
    // What the first release accepted (up to 2^53-1), as old rows hold it, to Bob and from Carol.
    const OLD_MAX = Number.MAX_SAFE_INTEGER;
    const old = (senderId: string, receiverId: string) => ({
      senderId,
      receiverId,
      fileName: 'old.bin',
      fileSize: OLD_MAX,
      fileType: 'application/octet-stream',
      timeElapsed: 1,
      transferType: 'Relay' as const,
    });
    await server.app.deps.db
      .insert(transfers)
      .values([
        ...Array.from({ length: 6 }, () => old(alice.userId, bob.userId)),
        ...Array.from({ length: 4 }, () => old(carol.userId, alice.userId)),
      ]);
    // And what anyone may send today: 2^40 each, many of them.
    await Promise.all(
      Array.from({ length: 40 }, () =>
        clientWithToken(server, carol.accessToken).transfers.complete.mutate(
          transferTo(bob, { fileSize: 2 ** 40 }),
        ),
      ),
    );
    const exact = (count: number, size: number) => BigInt(count) * BigInt(size);
    const bobReceived = exact(6, OLD_MAX) + exact(40, 2 ** 40);
    expect(bobReceived > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);

    const expected = {
      alice: {
        sent: { count: 6, bytes: exact(6, OLD_MAX) },
        received: { count: 4, bytes: exact(4, OLD_MAX) },
      },
      bob: { sent: { count: 0, bytes: 0n }, received: { count: 46, bytes: bobReceived } },
      carol: {
        sent: { count: 44, bytes: exact(4, OLD_MAX) + exact(40, 2 ** 40) },
        received: { count: 0, bytes: 0n },
      },
    };
    for (const [who, user] of [
      ['alice', alice],
      ['bob', bob],
      ['carol', carol],
    ] as const) {
      const want = expected[who];
      // The nearest double to the exact sum: exact below 2^53, never more than rounding off above.
      const asNumbers = {
        sent: { count: want.sent.count, bytes: Number(want.sent.bytes) },
        received: { count: want.received.count, bytes: Number(want.received.bytes) },
      };
      expect(await user.client.transfers.stats.query(), who).toEqual(asNumbers);
      const rest = await fetchJson(`${server.url}/api/v1/file-transfers/stats`, {
        headers: { authorization: `Bearer ${user.accessToken}` },
      });
      expect(rest.status, who).toBe(200);
      expect(rest.body, who).toEqual(asNumbers);
      for (const side of [rest.body.sent, rest.body.received]) {
        expect(Number.isFinite(side.bytes)).toBe(true);
      }
      const socket = await openRawClient(server, { accessToken: user.accessToken });
      try {
        socket.send({ id: 1, method: 'query', params: { path: 'transfers.stats' } });
        expect((await socket.reply(1)).result?.data, who).toEqual(asNumbers);
      } finally {
        socket.close();
      }
    }
    // Old rows still list (each one is a safe integer).
    const received = await bob.client.transfers.list.query({ direction: 'received', limit: 100 });
    expect(received.items).toHaveLength(46);
  });

  it('answers even when stored sizes reach the largest bigint, as a finite number', async () => {
    const [alice, bob] = await pair();
    // Beyond anything the API ever took: only a hand-edited database holds this.
    await server.app.deps.db.execute(
      sql`insert into ${transfers} (sender_id, receiver_id, file_name, file_size, file_type, time_elapsed, transfer_type)
          select ${alice.userId}::uuid, ${bob.userId}::uuid, 'huge.bin', 9223372036854775807, '', 1, 'Relay'
          from generate_series(1, 3)`,
    );
    const stats = await bob.client.transfers.stats.query();
    expect(stats.received.count).toBe(3);
    expect(stats.received.bytes).toBe(Number(3n * 9223372036854775807n));
    expect(Number.isFinite(stats.received.bytes)).toBe(true);
  });

  it('is all zeros for someone who never transferred anything', async () => {
    const [alice] = await pair();
    expect(await alice.client.transfers.stats.query()).toEqual({
      sent: { count: 0, bytes: 0 },
      received: { count: 0, bytes: 0 },
    });
  });
});

describe('without a valid access token', () => {
  it('complete, list and stats are UNAUTHORIZED', async () => {
    const [, bob] = await pair();
    for (const client of [server.client(), clientWithToken(server, 'not-a-jwt')]) {
      expect(await errorData(client.transfers.complete.mutate(transferTo(bob)))).toMatchObject(
        unauthorized,
      );
      expect(await errorData(client.transfers.list.query())).toMatchObject(unauthorized);
      expect(await errorData(client.transfers.stats.query())).toMatchObject(unauthorized);
    }
    expect(await bob.client.transfers.stats.query()).toEqual({
      sent: { count: 0, bytes: 0 },
      received: { count: 0, bytes: 0 },
    });
  });

  it('a signed-out session’s token is refused too', async () => {
    const [alice, bob] = await pair();
    await alice.client.auth.signOut.mutate();
    expect(await errorData(alice.client.transfers.complete.mutate(transferTo(bob)))).toMatchObject(
      unauthorized,
    );
    expect(await errorData(alice.client.transfers.list.query())).toMatchObject(unauthorized);
    expect(await errorData(alice.client.transfers.stats.query())).toMatchObject(unauthorized);
  });
});
