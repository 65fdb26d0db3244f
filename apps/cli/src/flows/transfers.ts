import { randomUUID } from 'node:crypto';
import { check, equal, rejects } from './assert.js';
import type { FlowContext } from './context.js';

/** transfers.complete A→B, listed for both sides (B as received), paged, and counted in stats. */
export async function transfersFlow(ctx: FlowContext) {
  const [alice, bob] = await Promise.all([ctx.user('alice'), ctx.user('bob')]);
  const a = await ctx.signIn(alice, 'e2e transfers A');
  const b = await ctx.signIn(bob, 'e2e transfers B');

  const sizes = [1_024, 20 * 1024 * 1024, 0];
  const ids: string[] = [];
  for (const [index, fileSize] of sizes.entries()) {
    const transfer = await a.client.transfers.complete.mutate({
      receiverEmail: bob.email.toUpperCase(),
      fileName: `e2e-${index}.bin`,
      fileSize,
      fileType: 'application/octet-stream',
      timeElapsed: 100 + index,
      transferType: index === 1 ? 'Relay' : 'WebRTC',
    });
    equal(transfer.sender.email, alice.email, 'transfer.sender.email');
    equal(transfer.receiver.email, bob.email, 'transfer.receiver.email');
    equal(transfer.fileSize, fileSize, 'transfer.fileSize');
    ids.push(transfer.id);
  }
  await rejects(
    a.client.transfers.complete.mutate({
      receiverEmail: `nobody-${randomUUID()}@example.test`,
      fileName: 'x',
      fileSize: 1,
      fileType: '',
      timeElapsed: 1,
      transferType: 'WebRTC',
    }),
    { code: 'NOT_FOUND', reason: 'RECEIVER_NOT_FOUND' },
    'a transfer to an unknown receiver',
  );

  const newestFirst = [...ids].reverse().join();
  const sent = await a.client.transfers.list.query({ direction: 'sent' });
  equal(sent.items.map((t) => t.id).join(), newestFirst, "A's sent transfers");
  const received = await b.client.transfers.list.query({ direction: 'received' });
  equal(received.items.map((t) => t.id).join(), newestFirst, "B's received transfers");
  equal((await b.client.transfers.list.query({ direction: 'sent' })).items.length, 0, "B's sent");

  const first = await b.client.transfers.list.query({ limit: 2 });
  check(first.items.length === 2 && first.nextCursor, 'a first page of 2 with a cursor');
  const second = await b.client.transfers.list.query({ limit: 2, cursor: first.nextCursor });
  equal([...first.items, ...second.items].map((t) => t.id).join(), newestFirst, 'paged transfers');
  equal(second.nextCursor, null, 'the last page cursor');

  const total = sizes.reduce((sum, size) => sum + size, 0);
  const statsA = await a.client.transfers.stats.query();
  const statsB = await b.client.transfers.stats.query();
  equal(statsA.sent.count, 3, "A's sent count");
  equal(statsA.sent.bytes, total, "A's sent bytes");
  equal(statsA.received.count, 0, "A's received count");
  equal(statsB.received.count, 3, "B's received count");
  equal(statsB.received.bytes, total, "B's received bytes");
}
