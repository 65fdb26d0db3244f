import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peers } from '../src/db/schema.js';
import { signedInUser } from './support/accounts.js';
import type { Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { openRawClient } from './support/sig-raw.js';
import { within } from './support/sig-wait.js';

/**
 * SPEC §6.1 "Subscriptions only on the WebSocket": tRPC's HTTP subscriptions (server-sent events)
 * are off, so no subscription escapes the socket's keep-alive, send guard and peer accounting.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

async function peersOf(userId: string) {
  return server.app.deps.db.select({ id: peers.id }).from(peers).where(eq(peers.userId, userId));
}

/** The events of a server-sent-events body: `event:` name and parsed `data:`. */
function sseEvents(body: string): { event: string; data: Json }[] {
  return body
    .split(/\n\n+/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const field = (name: string) =>
        block
          .split('\n')
          .find((line) => line.startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      return { event: field('event') ?? 'message', data: JSON.parse(field('data') ?? 'null') };
    });
}

describe('signaling.events over HTTP', () => {
  it.each([
    ['a plain GET', {}],
    ['a GET asking for server-sent events', { accept: 'text/event-stream' }],
  ])(
    '%s ends at once with METHOD_NOT_SUPPORTED, yields no event and opens no peer',
    async (_label, headers) => {
      const user = await signedInUser(server, { name: 'Http' });
      const res = await fetch(`${server.url}/trpc/signaling.events`, {
        headers: { authorization: `Bearer ${user.accessToken}`, ...headers },
      });

      // tRPC still answers in its SSE framing, but only with the refusal, and ends the response:
      // nothing stays open to stream on.
      const body = await within(res.text(), 5000, 'the response to end');
      const events = sseEvents(body).filter((e) => e.event !== 'connected');
      expect(events).toEqual([
        {
          event: 'serialized-error',
          data: {
            json: expect.objectContaining({
              data: expect.objectContaining({ code: 'METHOD_NOT_SUPPORTED' }),
            }),
          },
        },
      ]);
      expect(await peersOf(user.userId)).toEqual([]);
    },
  );

  it('a batched GET is refused with 400 and opens no peer', async () => {
    const user = await signedInUser(server, { name: 'Batch' });
    const res = await fetch(`${server.url}/trpc/signaling.events?batch=1&input=%7B%7D`, {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/json/);
    await within(res.text(), 5000, 'the response to end');
    expect(await peersOf(user.userId)).toEqual([]);
  });

  it('the same user subscribes over the WebSocket', async () => {
    const user = await signedInUser(server, { name: 'Ws' });
    const client = await openRawClient(server, {
      accessToken: user.accessToken,
      answerPings: true,
    });
    try {
      const peerId = await client.subscribeSignaling(1);
      expect((await peersOf(user.userId)).map((row) => row.id)).toEqual([peerId]);
    } finally {
      client.close();
    }
  });
});
