import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  createCryptwebClient,
  type Peer,
  reconnectDelay,
  type SignalingConnection,
  TRPCClientError,
} from '../src/index.js';
import { connectSignaling } from '../src/signaling.js';
import {
  clientError,
  PASSWORD,
  type SignedIn,
  signedInClient,
  verifiedAccount,
} from './support/accounts.js';
import { startServer, type TestServer } from './support/server.js';

describe('signaling through the SDK', () => {
  let server: TestServer;
  let alice: SignedIn;
  let bob: SignedIn;
  let aliceSignal: SignalingConnection;
  let bobSignal: SignalingConnection;

  beforeAll(async () => {
    server = await startServer();
    alice = await signedInClient(server, { name: 'Alice' });
    bob = await signedInClient(server, { name: 'Bob' });
  });
  afterAll(async () => {
    await alice?.client.close();
    await bob?.client.close();
    await server?.stop();
  });

  it('connect() subscribes over the WebSocket and resolves on ready', async () => {
    aliceSignal = await alice.client.signaling.connect();
    expect(aliceSignal.peerId).not.toBe('');
    expect(aliceSignal.self).toEqual({
      peerId: aliceSignal.peerId,
      email: alice.account.email,
      name: 'Alice',
    });
    expect(aliceSignal.error).toBeUndefined();
    // A second connect() joins the same subscription: one peer per client.
    expect(await alice.client.signaling.connect()).toBe(aliceSignal);
    bobSignal = await bob.client.signaling.connect();
    expect(bobSignal.peerId).not.toBe(aliceSignal.peerId);
  });

  it('delivers an offer from another client, typed', async () => {
    const arriving = aliceSignal.next('offer', (event) => event.from.email === bob.account.email, {
      timeoutMs: 5_000,
    });
    expect(await bobSignal.offer({ email: alice.account.email }, 'v=0 first')).toEqual({
      delivered: true,
      peers: 1,
    });
    const offer = await arriving;
    expectTypeOf(offer.type).toEqualTypeOf<'offer'>();
    expectTypeOf(offer.from).toEqualTypeOf<Peer>();
    expectTypeOf(offer.offer.sdp).toEqualTypeOf<string>();
    expect(offer.from).toEqual({ peerId: bobSignal.peerId, email: bob.account.email, name: 'Bob' });
    expect(offer.offer).toEqual({ type: 'offer', sdp: 'v=0 first' });

    const answered = bobSignal.next('answer', undefined, { timeoutMs: 5_000 });
    await aliceSignal.answer({ peerId: offer.from.peerId }, 'v=0 answer');
    expect((await answered).answer.sdp).toBe('v=0 answer');
  });

  it('resubscribes by itself after the server restarts: ready again, new peer, offers arrive', async () => {
    const alicePeerBefore = aliceSignal.peerId;
    const bobPeerBefore = bobSignal.peerId;
    const aliceReady = aliceSignal.next('ready', undefined, { timeoutMs: 30_000 });
    const bobReady = bobSignal.next('ready', undefined, { timeoutMs: 30_000 });

    await server.restart();
    const [aliceAgain, bobAgain] = await Promise.all([aliceReady, bobReady]);

    expect(aliceAgain.peerId).not.toBe(alicePeerBefore);
    expect(bobAgain.peerId).not.toBe(bobPeerBefore);
    expect(aliceSignal.peerId).toBe(aliceAgain.peerId);
    expect(aliceSignal.self.email).toBe(alice.account.email);
    expect(aliceSignal.error).toBeUndefined();

    const arriving = aliceSignal.next('offer', (event) => event.offer.sdp === 'v=0 second', {
      timeoutMs: 5_000,
    });
    expect(await bobSignal.offer({ peerId: aliceSignal.peerId }, 'v=0 second')).toEqual({
      delivered: true,
      peers: 1,
    });
    expect((await arriving).from.peerId).toBe(bobSignal.peerId);
  });

  // Regression (issue 5): connect() kept handing out the dead connection, the socket kept the
  // revoked session's authentication, and a pending next() without a timeout never settled.
  it('ends for good when its session is revoked; after a new sign-in connect() opens a new peer', async () => {
    const phone = await signedInClient(server, { name: 'Eve' });
    const laptop = await signedInClient(server, { account: phone.account });
    const signal = await phone.client.signaling.connect();
    // No timeout: the end of the subscription must settle it.
    const pending = signal.next('offer');

    await laptop.client.sessions.revoke.mutate({ sessionId: phone.sessionId });
    const error = await clientError(pending);
    expect(error.data?.code).toBe('UNAUTHORIZED');
    expect(signal.error).toBe(error);
    await expect(signal.next('answer')).rejects.toBe(error);

    await phone.client.auth.signIn.mutate({
      email: phone.account.email,
      password: phone.account.password,
    });
    const again = await phone.client.signaling.connect();
    expect(again).not.toBe(signal);
    expect(again.peerId).not.toBe(signal.peerId);
    const arriving = again.next('offer', undefined, { timeoutMs: 5_000 });
    const laptopSignal = await laptop.client.signaling.connect();
    expect(await laptopSignal.offer({ peerId: again.peerId }, 'v=0 third')).toEqual({
      delivered: true,
      peers: 1,
    });
    expect((await arriving).offer.sdp).toBe('v=0 third');
    await phone.client.close();
    await laptop.client.close();
  });
});

describe('reconnecting with an expired access token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ACCESS_TOKEN_TTL_SECONDS: '2' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refreshes before it reconnects, so the subscription resumes with a fresh token', async () => {
    const { client } = await signedInClient(server, { name: 'Carol' });
    const signal = await client.signaling.connect();
    const before = await client.tokenStore.get();
    // The open subscription outlives its access token (SPEC §7); the reconnect needs a new one.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const refreshes = () =>
      server.requestPaths().filter((path) => path === '/trpc/auth.refresh').length;
    const refreshesBefore = refreshes();
    const ready = signal.next('ready', undefined, { timeoutMs: 30_000 });

    await server.restart();
    await ready;

    expect(refreshes()).toBeGreaterThan(refreshesBefore);
    expect((await client.tokenStore.get())?.refreshToken).not.toBe(before?.refreshToken);
    expect(signal.error).toBeUndefined();
    await client.close();
  });
});

describe('a client without a WebSocket implementation', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    // Node 20 has no global WebSocket; newer Node does, so take it away for this test.
    vi.stubGlobal('WebSocket', undefined);
  });
  afterAll(async () => {
    vi.unstubAllGlobals();
    await server?.stop();
  });

  // Regression (issue 5): createCryptwebClient threw on Node 20 without a `WebSocket` option,
  // because the WebSocket client was built with the links instead of on the first subscription.
  it('still makes HTTP calls, and connect() says what is missing', async () => {
    const account = await verifiedAccount(server, 'Dave');
    const client = createCryptwebClient({ url: server.url });
    await client.auth.signIn.mutate({ email: account.email, password: PASSWORD });
    expect((await client.auth.me.query()).user.email).toBe(account.email);
    await expect(client.signaling.connect()).rejects.toThrow(/No WebSocket implementation/);
    await client.close();
  });
});

/** A `signaling.events` subscription driven by hand: the test plays the server. */
function handDrivenSignaling() {
  let callbacks:
    | { onData(event: unknown): void; onError(error: unknown): void; onComplete(): void }
    | undefined;
  const api = {
    signaling: {
      events: {
        subscribe(_input: unknown, options: NonNullable<typeof callbacks>) {
          callbacks = options;
          return { unsubscribe() {} };
        },
      },
    },
  } as unknown as Parameters<typeof connectSignaling>[0];
  const server = () => {
    if (!callbacks) throw new Error('not subscribed');
    return callbacks;
  };
  return { api, server };
}

describe('waits pending when the subscription ends', () => {
  // Regression: the server may end a revoked session's subscription before it answers the
  // revoke itself; a next() its caller was to await after that answer was reported as an
  // unhandled rejection (whenever the subscription's error arrived first).
  it('reject whoever awaits them later, and are never unhandled rejections', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { api, server } = handDrivenSignaling();
      const connecting = connectSignaling(api);
      const self = { peerId: 'peer-1', email: 'eve@example.test', name: 'Eve' };
      server().onData({ type: 'ready', peerId: self.peerId, self });
      const signal = await connecting;
      const pending = signal.next('offer');
      const ended = TRPCClientError.from(new Error('The session has ended'));
      server().onError(ended);
      const afterEnd = signal.next('answer');
      // The caller is busy elsewhere meanwhile, past the point where Node reports rejections.
      await new Promise((resolve) => setTimeout(resolve, 20));

      expect(signal.error).toBe(ended);
      await expect(pending).rejects.toBe(ended);
      await expect(afterEnd).rejects.toBe(ended);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an abort signal ends a wait, also one aborted before the wait began', async () => {
    const { api, server } = handDrivenSignaling();
    const connecting = connectSignaling(api);
    const self = { peerId: 'peer-2', email: 'eve@example.test', name: 'Eve' };
    server().onData({ type: 'ready', peerId: self.peerId, self });
    const signal = await connecting;
    const early = new AbortController();
    early.abort(new Error('gave up before'));
    await expect(signal.next('offer', undefined, { signal: early.signal })).rejects.toThrow(
      'gave up before',
    );
    const late = new AbortController();
    const waiting = signal.next('offer', undefined, { signal: late.signal });
    late.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
  });
});

describe('reconnectDelay', () => {
  it('grows with the attempt, within [ceiling / 2, ceiling], ceiling 250 ms · 2^n up to 15 s', () => {
    for (let attempt = 0; attempt <= 20; attempt++) {
      const ceiling = Math.min(15_000, 250 * 2 ** attempt);
      const samples = Array.from({ length: 200 }, () => reconnectDelay(attempt));
      for (const delay of samples) {
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
      // Jitter: clients that lost the same server do not come back in step.
      expect(new Set(samples).size).toBeGreaterThan(10);
    }
    const mean = (attempt: number) =>
      Array.from({ length: 500 }, () => reconnectDelay(attempt)).reduce((a, b) => a + b, 0) / 500;
    expect(mean(1)).toBeGreaterThan(mean(0));
    expect(mean(3)).toBeGreaterThan(mean(1));
    expect(mean(6)).toBeGreaterThan(mean(3));
    expect(
      Math.max(...Array.from({ length: 500 }, () => reconnectDelay(1_000))),
    ).toBeLessThanOrEqual(15_000);
  });
});
