import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/routers/_app.js';
import type { Peer, SignalingEvent } from '../src/signaling/events.js';
import {
  clientWithToken,
  PASSWORD,
  signedInUser,
  signInAs,
  verifiedAccount,
} from './support/accounts.js';
import { errorData } from './support/errors.js';
import { fetchJson } from './support/http.js';
import { roomyLimits } from './support/limits.js';
import { waitForMail } from './support/mailbox.js';
import { startTestServer, type TestServer, uniqueEmail } from './support/server.js';
import { connectSigDevice, openDevice, type SigDevice } from './support/sig-device.js';
import { openRawClient, type RawClient } from './support/sig-raw.js';
import { settle, since, sleep, startInBatches, until, within } from './support/sig-wait.js';

/** Every request comes from 127.0.0.1: per-IP account limits must not trip over this file. */
const rateLimits = (peer?: { perSecond: number; burst: number }) =>
  roomyLimits(peer ? { 'signaling.peer': peer } : {});

const KiB = 1024;
const MiB = 1024 * KiB;
/** SPEC §5: partners hear a peer went offline within 2 s; a revoked session ends within 1 s. */
const OFFLINE_WITHIN_MS = 2000;
const REVOKED_WITHIN_MS = 1000;
/** Slack for the test's own polling and scheduling on top of a SPEC bound. */
const MARGIN_MS = 500;

const sdp = (label: string) =>
  `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=label:${label}\r\n`;
const anOffer = (label: string) => ({ type: 'offer' as const, sdp: sdp(label) });
const aCandidate = (label: string) => ({
  candidate: `candidate:842163049 1 udp 1677729535 203.0.113.7 3478 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag ${label}`,
  sdpMid: '0',
  sdpMLineIndex: 0,
  usernameFragment: label,
});
const offersSeen = (device: SigDevice) =>
  device.events.flatMap((event) => (event.type === 'offer' ? [event.offer.sdp] : []));
const statusesOf = (device: SigDevice) =>
  device.events.filter(
    (event): event is Extract<SignalingEvent, { type: 'peer-status' }> =>
      event.type === 'peer-status',
  );

/** Sockets opened by a test; each is closed after it, whatever happened. */
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const socket of opened.splice(0)) socket.close();
});

async function connect(target: TestServer, accessToken: string): Promise<SigDevice> {
  const device = await connectSigDevice(target, accessToken);
  opened.push(device);
  return device;
}

function open(target: TestServer, connectionParams: Record<string, string> | undefined) {
  const device = openDevice(target, connectionParams);
  opened.push(device);
  return device;
}

async function raw(target: TestServer, options: Parameters<typeof openRawClient>[1] = {}) {
  const client = await openRawClient(target, options);
  opened.push(client);
  return client;
}

/** A verified user signed in once, with one device subscribed to `signaling.events`. */
async function online(target: TestServer, name: string) {
  const user = await signedInUser(target, { name });
  const device = await connect(target, user.accessToken);
  const peer: Peer = { peerId: device.peerId, email: user.email, name: user.name };
  return { user, device, peer };
}

/** Waits until offers to `peerId` find no one: the server has let go of that peer. */
async function untilUnreachable(sender: SigDevice, peerId: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  const probe = () =>
    sender.client.signaling.sendOffer.mutate({ to: { peerId }, offer: anOffer('probe') });
  while ((await probe()).delivered) {
    if (Date.now() > deadline) throw new Error(`peer ${peerId} stayed reachable`);
    await sleep(50);
  }
}

function clientError(error: unknown): TRPCClientError<AppRouter> {
  if (!(error instanceof TRPCClientError)) throw error;
  return error as TRPCClientError<AppRouter>;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS: rateLimits() } });
});
afterAll(() => server.stop());

describe('signaling.events', () => {
  it('first yields ready with the caller’s own peer: a fresh peerId, its email and name', async () => {
    const user = await signedInUser(server, { name: 'Ada Lovelace' });
    const device = await connect(server, user.accessToken);
    const again = await connect(server, user.accessToken);

    expect(device.events[0]).toEqual({
      type: 'ready',
      peerId: device.peerId,
      self: { peerId: device.peerId, email: user.email, name: 'Ada Lovelace' },
    });
    expect(device.peerId).toMatch(/\S/);
    // Each subscription is its own peer, even on the same session.
    expect(again.peerId).not.toBe(device.peerId);
  });

  it.each([
    ['no token', undefined],
    ['a garbage token', { accessToken: 'garbage' }],
    ['a token-shaped string', { accessToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }],
  ])('refuses a subscription with %s: UNAUTHORIZED and no ready event', async (_label, params) => {
    const device = open(server, params);
    await device.ended();

    expect(device.error?.data?.code).toBe('UNAUTHORIZED');
    expect(device.events).toEqual([]);
  });
});

describe('relay', () => {
  it('relays offer, answer and ICE candidates by email and by peerId, from the sender’s real peer', async () => {
    const alice = await online(server, 'Alice');
    const bob = await online(server, 'Bob');
    const { signaling: fromAlice } = alice.device.client;
    const { signaling: fromBob } = bob.device.client;

    const offer = anOffer('offer by email');
    expect(await fromAlice.sendOffer.mutate({ to: { email: bob.user.email }, offer })).toEqual({
      delivered: true,
      peers: 1,
    });
    expect(await bob.device.next('offer', (e) => e.offer.sdp === offer.sdp)).toEqual({
      type: 'offer',
      from: alice.peer,
      offer,
    });

    const offerById = anOffer('offer by peerId');
    expect(
      await fromAlice.sendOffer.mutate({ to: { peerId: bob.device.peerId }, offer: offerById }),
    ).toEqual({ delivered: true, peers: 1 });
    expect(await bob.device.next('offer', (e) => e.offer.sdp === offerById.sdp)).toEqual({
      type: 'offer',
      from: alice.peer,
      offer: offerById,
    });

    const answer = { type: 'answer' as const, sdp: sdp('answer by peerId') };
    expect(
      await fromBob.sendAnswer.mutate({ to: { peerId: alice.device.peerId }, answer }),
    ).toEqual({ delivered: true, peers: 1 });
    expect(await alice.device.next('answer', (e) => e.answer.sdp === answer.sdp)).toEqual({
      type: 'answer',
      from: bob.peer,
      answer,
    });

    const answerByEmail = { type: 'answer' as const, sdp: sdp('answer by email') };
    expect(
      await fromBob.sendAnswer.mutate({ to: { email: alice.user.email }, answer: answerByEmail }),
    ).toEqual({ delivered: true, peers: 1 });
    expect(await alice.device.next('answer', (e) => e.answer.sdp === answerByEmail.sdp)).toEqual({
      type: 'answer',
      from: bob.peer,
      answer: answerByEmail,
    });

    // Emails compare case-insensitively (SPEC §4).
    const candidate = aCandidate('byemail');
    expect(
      await fromAlice.sendIceCandidate.mutate({
        to: { email: `  ${bob.user.email.toUpperCase()} ` },
        candidate,
      }),
    ).toEqual({ delivered: true, peers: 1 });
    expect(
      await bob.device.next('ice-candidate', (e) => e.candidate.candidate === candidate.candidate),
    ).toEqual({ type: 'ice-candidate', from: alice.peer, candidate });

    const bare = { candidate: aCandidate('bypeer').candidate, sdpMid: null, sdpMLineIndex: null };
    expect(
      await fromBob.sendIceCandidate.mutate({
        to: { peerId: alice.device.peerId },
        candidate: bare,
      }),
    ).toEqual({ delivered: true, peers: 1 });
    const relayed = await alice.device.next(
      'ice-candidate',
      (e) => e.candidate.candidate === bare.candidate,
    );
    expect(relayed.from).toEqual(bob.peer);
    expect(relayed.candidate).toMatchObject({
      candidate: bare.candidate,
      sdpMid: null,
      sdpMLineIndex: null,
    });
  });

  it('never takes `from` from the input: a forged one is ignored or refused, never relayed', async () => {
    const alice = await online(server, 'Alice');
    const bob = await online(server, 'Bob');
    const forged: Peer = { peerId: randomUUID(), email: 'ceo@example.test', name: 'The CEO' };
    const { signaling } = alice.device.client;
    const to = { peerId: bob.device.peerId };

    // Built apart from the calls, as a hand-written client would send them.
    const offerInput = { to, offer: anOffer('forged offer'), from: forged };
    const answerInput = {
      to,
      answer: { type: 'answer' as const, sdp: sdp('forged answer') },
      from: forged,
    };
    const candidateInput = { to, candidate: aCandidate('forged'), from: forged };
    const outcomes = [
      await settle(signaling.sendOffer.mutate(offerInput)),
      await settle(signaling.sendAnswer.mutate(answerInput)),
      await settle(signaling.sendIceCandidate.mutate(candidateInput)),
    ];

    let relayed = 0;
    for (const outcome of outcomes) {
      if (outcome.ok) {
        expect(outcome.value).toEqual({ delivered: true, peers: 1 });
        relayed += 1;
      } else {
        expect(clientError(outcome.error).data).toMatchObject({
          code: 'BAD_REQUEST',
          reason: 'INVALID_INPUT',
        });
      }
    }
    // A later message from someone else: whatever was relayed before it has arrived by then.
    const carol = await online(server, 'Carol');
    const marker = anOffer('marker');
    await carol.device.client.signaling.sendOffer.mutate({ to, offer: marker });
    await bob.device.next('offer', (e) => e.offer.sdp === marker.sdp);

    const fromAlice = bob.device.events.filter((e) => e.type !== 'ready');
    expect(fromAlice).toHaveLength(relayed + 1);
    for (const event of fromAlice.slice(0, relayed)) {
      expect(event).toMatchObject({ from: alice.peer });
    }
    expect(JSON.stringify(bob.device.events)).not.toContain(forged.email);
    expect(JSON.stringify(bob.device.events)).not.toContain(forged.peerId);
  });

  it('reaches every open device of a user by email, and exactly one by peerId', async () => {
    const alice = await online(server, 'Alice');
    const bob = await verifiedAccount(server, 'Bob');
    const laptop = await connect(server, (await signInAs(server, bob)).accessToken);
    const phone = await connect(server, (await signInAs(server, bob)).accessToken);
    const { signaling } = alice.device.client;

    const toAll = anOffer('to all of Bob');
    expect(await signaling.sendOffer.mutate({ to: { email: bob.email }, offer: toAll })).toEqual({
      delivered: true,
      peers: 2,
    });
    for (const device of [laptop, phone]) {
      expect(await device.next('offer', (e) => e.offer.sdp === toAll.sdp)).toEqual({
        type: 'offer',
        from: alice.peer,
        offer: toAll,
      });
    }

    const toLaptop = anOffer('to the laptop');
    expect(
      await signaling.sendOffer.mutate({ to: { peerId: laptop.peerId }, offer: toLaptop }),
    ).toEqual({ delivered: true, peers: 1 });
    await laptop.next('offer', (e) => e.offer.sdp === toLaptop.sdp);
    const marker = anOffer('marker for the phone');
    await signaling.sendOffer.mutate({ to: { peerId: phone.peerId }, offer: marker });
    await phone.next('offer', (e) => e.offer.sdp === marker.sdp);

    expect(offersSeen(laptop)).toEqual([toAll.sdp, toLaptop.sdp]);
    expect(offersSeen(phone)).toEqual([toAll.sdp, marker.sdp]);
  });

  it('answers {delivered:false, peers:0} for a user with no open device, an unknown email or peer', async () => {
    const alice = await online(server, 'Alice');
    const carol = await signedInUser(server, { name: 'Carol' });
    const { signaling } = alice.device.client;

    for (const to of [
      { email: carol.email },
      { email: uniqueEmail('nobody') },
      { peerId: randomUUID() },
    ]) {
      expect(await signaling.sendOffer.mutate({ to, offer: anOffer('into the void') })).toEqual({
        delivered: false,
        peers: 0,
      });
      expect(await signaling.sendIceCandidate.mutate({ to, candidate: aCandidate('v') })).toEqual({
        delivered: false,
        peers: 0,
      });
    }

    // Nothing was kept for later: Carol's first device sees only what is sent once it is open.
    const carolDevice = await connect(server, carol.accessToken);
    const later = anOffer('once Carol is online');
    expect(await signaling.sendOffer.mutate({ to: { email: carol.email }, offer: later })).toEqual({
      delivered: true,
      peers: 1,
    });
    await carolDevice.next('offer', (e) => e.offer.sdp === later.sdp);
    expect(carolDevice.events.map((e) => e.type)).toEqual(['ready', 'offer']);
  });

  it('over HTTP, a caller with no open peer gets PRECONDITION_FAILED NO_PEER', async () => {
    const alice = await signedInUser(server, { name: 'Alice' });
    const bob = await online(server, 'Bob');
    const to = { email: bob.user.email };
    const { signaling } = alice.client;

    const refusals = [
      await errorData(signaling.sendOffer.mutate({ to, offer: anOffer('no peer') })),
      await errorData(
        signaling.sendAnswer.mutate({ to, answer: { type: 'answer', sdp: sdp('no peer') } }),
      ),
      await errorData(signaling.sendIceCandidate.mutate({ to, candidate: aCandidate('nopeer') })),
      await errorData(signaling.markConnected.mutate({ peerId: bob.device.peerId })),
    ];
    for (const data of refusals) {
      expect(data).toMatchObject({
        code: 'PRECONDITION_FAILED',
        httpStatus: 412,
        reason: 'NO_PEER',
      });
    }
    expect(bob.device.events.map((e) => e.type)).toEqual(['ready']);
  });

  it('over HTTP, the sender is the caller’s newest open peer', async () => {
    const alice = await signedInUser(server, { name: 'Alice' });
    const older = await connect(server, alice.accessToken);
    const newer = await connect(server, alice.accessToken);
    const bob = await online(server, 'Bob');
    const to = { email: bob.user.email };

    const first = anOffer('over http, two peers open');
    expect(await alice.client.signaling.sendOffer.mutate({ to, offer: first })).toEqual({
      delivered: true,
      peers: 1,
    });
    expect((await bob.device.next('offer', (e) => e.offer.sdp === first.sdp)).from).toEqual({
      peerId: newer.peerId,
      email: alice.email,
      name: 'Alice',
    });

    newer.close();
    await until(() => newer.stopped, 5000, 'the newer subscription to stop');
    await untilUnreachable(bob.device, newer.peerId);
    // Once the newer peer is gone, the older one speaks for HTTP calls.
    const second = anOffer('over http, older peer left');
    expect(await alice.client.signaling.sendOffer.mutate({ to, offer: second })).toEqual({
      delivered: true,
      peers: 1,
    });
    expect((await bob.device.next('offer', (e) => e.offer.sdp === second.sdp)).from.peerId).toBe(
      older.peerId,
    );
  });
});

describe('the relay over WebSocket, fast path and full path alike', () => {
  /** A raw socket signed in as a fresh user, subscribed, with its peer id. */
  async function rawOnline(name: string) {
    const user = await signedInUser(server, { name });
    const client = await raw(server, { accessToken: user.accessToken, answerPings: true });
    const peerId = await client.subscribeSignaling(1);
    return { user, client, peerId };
  }
  const relayCall = (id: number, path: string, input: unknown, jsonrpc?: '2.0') => ({
    id,
    ...(jsonrpc ? { jsonrpc } : {}),
    method: 'mutation',
    params: { path: `signaling.${path}`, input },
  });
  /** The data and error frames a raw client received for request `id`, in order. */
  const framesFor = (client: RawClient, id: number) =>
    client.frames.filter((frame) => {
      if (!frame.startsWith('{')) return false;
      const message = JSON.parse(frame);
      return message.id === id && (message.error || message.result?.type === 'data');
    });

  it('answers a relay by peerId with the same frame as one by email, echoing jsonrpc', async () => {
    const alice = await rawOnline('Alice');
    const bob = await rawOnline('Bob');
    const candidate = aCandidate('frames');
    alice.client.send(
      relayCall(2, 'sendIceCandidate', {
        json: { to: { peerId: bob.peerId }, candidate },
      }),
    );
    alice.client.send(
      relayCall(3, 'sendIceCandidate', { json: { to: { email: bob.user.email }, candidate } }),
    );
    alice.client.send(
      relayCall(4, 'sendIceCandidate', { json: { to: { peerId: bob.peerId }, candidate } }, '2.0'),
    );
    for (const id of [2, 3, 4]) await alice.client.reply(id);
    const reply = (id: number, jsonrpc?: '2.0') => ({
      id,
      ...(jsonrpc ? { jsonrpc } : {}),
      result: { type: 'data', data: { json: { delivered: true, peers: 1 } } },
    });
    expect(framesFor(alice.client, 2).map((f) => JSON.parse(f))).toEqual([reply(2)]);
    expect(framesFor(alice.client, 3).map((f) => JSON.parse(f))).toEqual([reply(3)]);
    expect(framesFor(alice.client, 4).map((f) => JSON.parse(f))).toEqual([reply(4, '2.0')]);

    // Bob's subscription (id 1) got three identical events, each in tRPC's frame shape.
    await until(() => framesFor(bob.client, 1).length >= 4, 5000, 'ready and three candidates');
    const events = framesFor(bob.client, 1)
      .slice(1)
      .map((frame) => JSON.parse(frame));
    const from: Peer = { peerId: alice.peerId, email: alice.user.email, name: 'Alice' };
    const event = { type: 'ice-candidate', from, candidate };
    expect(events).toEqual(
      [1, 2, 3].map(() => ({ id: 1, result: { type: 'data', data: { json: event } } })),
    );
  });

  it('keeps the order of an offer and 300 candidates sent back to back, every one answered', async () => {
    const alice = await online(server, 'Alice');
    const bob = await online(server, 'Bob');
    const to = { peerId: bob.device.peerId };
    const { signaling } = alice.device.client;
    const sent = await startInBatches([
      () => settle(signaling.sendOffer.mutate({ to, offer: anOffer('ordered') })),
      ...Array.from(
        { length: 300 },
        (_, i) => () =>
          settle(signaling.sendIceCandidate.mutate({ to, candidate: aCandidate(`o${i}`) })),
      ),
    ]);
    // The default budget is a burst of 100 (and 50/s refill): the rest is refused.
    const outcomes = await Promise.all(sent);
    const accepted = outcomes.filter((o) => o.ok).length;
    expect(accepted).toBeGreaterThanOrEqual(100);
    expect(outcomes[0]?.ok).toBe(true);
    await until(
      () => bob.device.events.filter((e) => e.type !== 'ready').length >= accepted,
      5000,
      'every accepted message',
    );
    const relayed = bob.device.events.filter(
      (e) => e.type === 'offer' || e.type === 'ice-candidate',
    );
    expect(relayed[0]).toMatchObject({ type: 'offer' });
    const labels = relayed
      .slice(1)
      .map((e) => (e.type === 'ice-candidate' ? e.candidate.usernameFragment : ''));
    // Exactly the accepted candidates, in the order they were sent.
    const acceptedLabels = outcomes.slice(1).flatMap((o, i) => (o.ok ? [`o${i}`] : []));
    expect(labels).toEqual(acceptedLabels);
  });

  it('takes input in superjson form with meta, and refuses a bad one with fieldErrors', async () => {
    const alice = await rawOnline('Alice');
    const bob = await rawOnline('Bob');
    // superjson marks an explicit undefined in meta: the full path decodes it.
    const withMeta = superjson.serialize({
      to: { peerId: bob.peerId },
      candidate: { candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ host', sdpMid: undefined },
    });
    expect(withMeta.meta).toBeDefined();
    alice.client.send(relayCall(2, 'sendIceCandidate', withMeta));
    expect((await alice.client.reply(2)).result?.data).toEqual({ delivered: true, peers: 1 });

    alice.client.send(
      relayCall(3, 'sendIceCandidate', {
        json: { to: { peerId: bob.peerId }, candidate: { candidate: 7 } },
      }),
    );
    const refused = await alice.client.reply(3);
    expect(refused.error?.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
    const data = refused.error?.data as { fieldErrors?: object } | undefined;
    expect(Object.keys(data?.fieldErrors ?? {})).toEqual(['candidate.candidate']);
    await until(() => framesFor(bob.client, 1).length >= 2, 5000, 'the good candidate');
    await sleep(100);
    expect(framesFor(bob.client, 1)).toHaveLength(2);
  });

  it('relays for a socket only while its session lives: a revoked sender is refused', async () => {
    const account = await verifiedAccount(server, 'Erin');
    const first = await signInAs(server, account);
    const second = await signInAs(server, account);
    const erin = await raw(server, { accessToken: first.accessToken, answerPings: true });
    await erin.subscribeSignaling(1);
    const bob = await rawOnline('Bob');
    const send = (id: number) =>
      erin.send(
        relayCall(id, 'sendIceCandidate', {
          json: { to: { peerId: bob.peerId }, candidate: aCandidate(`r${id}`) },
        }),
      );
    send(2);
    expect((await erin.reply(2)).result?.data).toEqual({ delivered: true, peers: 1 });

    await second.client.sessions.revoke.mutate({ sessionId: first.sessionId });
    await erin.reply(1, REVOKED_WITHIN_MS + MARGIN_MS);
    send(3);
    expect((await erin.reply(3)).error?.data).toMatchObject({ code: 'UNAUTHORIZED' });
    await sleep(100);
    expect(framesFor(bob.client, 1)).toHaveLength(2);
  });
});

describe('presence', () => {
  it('tells a paired peer within 2 s when the other closes its subscription; others hear nothing', async () => {
    const alice = await online(server, 'Alice');
    const bob = await online(server, 'Bob');
    const carol = await online(server, 'Carol');
    expect(
      await alice.device.client.signaling.markConnected.mutate({ peerId: bob.device.peerId }),
    ).toEqual({ ok: true });

    const closedAt = performance.now();
    alice.device.close();
    const status = await bob.device.next('peer-status', undefined, OFFLINE_WITHIN_MS * 3);
    const heardAfter = since(closedAt);

    expect(status).toEqual({
      type: 'peer-status',
      peer: alice.peer,
      online: false,
      message: 'Alice went offline',
    });
    expect(heardAfter).toBeLessThan(OFFLINE_WITHIN_MS + MARGIN_MS);

    // Carol was never paired with Alice: a later message reaches her, and nothing before it.
    const marker = anOffer('marker for Carol');
    await bob.device.client.signaling.sendOffer.mutate({
      to: { peerId: carol.device.peerId },
      offer: marker,
    });
    await carol.device.next('offer', (e) => e.offer.sdp === marker.sdp);
    expect(statusesOf(carol.device)).toEqual([]);
    expect(statusesOf(bob.device)).toHaveLength(1);
  });

  it('tells a paired peer within 2 s when the other’s socket dies abruptly', async () => {
    const alice = await online(server, 'Alice');
    const bob = await online(server, 'Bob');
    // Paired from Bob's side this time: pairing works both ways.
    expect(
      await bob.device.client.signaling.markConnected.mutate({ peerId: alice.device.peerId }),
    ).toEqual({ ok: true });

    const diedAt = performance.now();
    alice.device.terminate();
    const status = await bob.device.next('peer-status', undefined, OFFLINE_WITHIN_MS * 3);
    const heardAfter = since(diedAt);

    expect(status).toEqual({
      type: 'peer-status',
      peer: alice.peer,
      online: false,
      message: 'Alice went offline',
    });
    expect(heardAfter).toBeLessThan(OFFLINE_WITHIN_MS + MARGIN_MS);
    expect(
      await bob.device.client.signaling.sendOffer.mutate({
        to: { peerId: alice.device.peerId },
        offer: anOffer('to the dead socket'),
      }),
    ).toEqual({ delivered: false, peers: 0 });
  });
});

describe('revoking a session ends its subscription within 1 s; other sessions stay', () => {
  /** One user signed in twice, each session with an open device, and a stranger to probe them. */
  async function twoSessionsOnline() {
    const account = await verifiedAccount(server, 'Dana');
    const first = await signInAs(server, account);
    const second = await signInAs(server, account);
    const firstDevice = await connect(server, first.accessToken);
    const secondDevice = await connect(server, second.accessToken);
    const prober = await online(server, 'Prober');
    await prober.device.client.signaling.markConnected.mutate({ peerId: firstDevice.peerId });
    return { account, first, second, firstDevice, secondDevice, prober };
  }

  /** SPEC: a peer whose session is revoked goes offline for those paired with it. */
  async function expectHeardOffline(prober: { device: SigDevice }, gone: SigDevice) {
    const status = await prober.device.next(
      'peer-status',
      (e) => e.peer.peerId === gone.peerId,
      OFFLINE_WITHIN_MS + MARGIN_MS,
    );
    expect(status).toMatchObject({ online: false, message: 'Dana went offline' });
  }

  async function expectEndedUnauthorized(device: SigDevice, since0: number) {
    await device.ended(REVOKED_WITHIN_MS * 5);
    const elapsed = since(since0);
    expect(device.error?.data?.code).toBe('UNAUTHORIZED');
    expect(elapsed).toBeLessThan(REVOKED_WITHIN_MS + MARGIN_MS / 2);
  }

  async function expectStillOpen(device: SigDevice, prober: { device: SigDevice }) {
    const offer = anOffer(`still there? ${randomUUID()}`);
    expect(
      await prober.device.client.signaling.sendOffer.mutate({
        to: { peerId: device.peerId },
        offer,
      }),
    ).toEqual({ delivered: true, peers: 1 });
    await device.next('offer', (e) => e.offer.sdp === offer.sdp);
    expect(device.error).toBeUndefined();
    expect(device.stopped).toBe(false);
  }

  it('sessions.revoke from another device of the same user', async () => {
    const { first, second, firstDevice, secondDevice, prober } = await twoSessionsOnline();

    const started = performance.now();
    await second.client.sessions.revoke.mutate({ sessionId: first.sessionId });
    await expectEndedUnauthorized(firstDevice, started);
    await expectHeardOffline(prober, firstDevice);
    await expectStillOpen(secondDevice, prober);

    // The revoked session's access token opens nothing any more.
    const again = open(server, { accessToken: first.accessToken });
    await again.ended();
    expect(again.error?.data?.code).toBe('UNAUTHORIZED');
    expect(again.events).toEqual([]);
  });

  it('auth.signOut', async () => {
    const { first, firstDevice, secondDevice, prober } = await twoSessionsOnline();

    const started = performance.now();
    await first.client.auth.signOut.mutate();
    await expectEndedUnauthorized(firstDevice, started);
    await expectHeardOffline(prober, firstDevice);
    await expectStillOpen(secondDevice, prober);
  });

  it('sessions.revokeAll (without the current session)', async () => {
    const { account, second, firstDevice, secondDevice, prober } = await twoSessionsOnline();
    const third = await signInAs(server, account);
    const thirdDevice = await connect(server, third.accessToken);

    const started = performance.now();
    await second.client.sessions.revokeAll.mutate({ includeCurrent: false });
    await expectEndedUnauthorized(firstDevice, started);
    await expectHeardOffline(prober, firstDevice);
    await expectEndedUnauthorized(thirdDevice, started);
    await expectStillOpen(secondDevice, prober);
  });

  it('auth.changePassword from another session', async () => {
    const { second, firstDevice, secondDevice, prober } = await twoSessionsOnline();

    const started = performance.now();
    await second.client.auth.changePassword.mutate({
      currentPassword: PASSWORD,
      newPassword: 'a brand new passphrase, 2 of them',
    });
    await expectEndedUnauthorized(firstDevice, started);
    await expectHeardOffline(prober, firstDevice);
    await expectStillOpen(secondDevice, prober);
  });

  it('auth.resetPassword ends every session’s subscription; other users stay', async () => {
    const { account, firstDevice, secondDevice, prober } = await twoSessionsOnline();
    await server.client().auth.forgotPassword.mutate({ email: account.email });
    const mail = await waitForMail(server.dataDir, account.email, 'reset-password');

    const started = performance.now();
    await server.client().auth.resetPassword.mutate({
      token: mail.token ?? '',
      password: 'a brand new passphrase, 3 of them',
      confirmPassword: 'a brand new passphrase, 3 of them',
    });
    await expectEndedUnauthorized(firstDevice, started);
    await expectHeardOffline(prober, firstDevice);
    await expectEndedUnauthorized(secondDevice, started);
    await expectStillOpen(prober.device, await online(server, 'Other'));
  });
});

describe('size limits', () => {
  it('refuses an sdp over 64 KiB with INVALID_INPUT naming the field; exactly 64 KiB is relayed', async () => {
    const alice = await online(server, 'Alice');
    const bob = await online(server, 'Bob');
    const { signaling } = alice.device.client;
    const to = { peerId: bob.device.peerId };

    const tooLongOffer = await errorData(
      signaling.sendOffer.mutate({ to, offer: { type: 'offer', sdp: 'o'.repeat(64 * KiB + 1) } }),
    );
    expect(tooLongOffer).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
    expect(Object.keys(tooLongOffer.fieldErrors ?? {})).toContain('offer.sdp');

    const tooLongAnswer = await errorData(
      signaling.sendAnswer.mutate({
        to,
        answer: { type: 'answer', sdp: 'a'.repeat(64 * KiB + 1) },
      }),
    );
    expect(tooLongAnswer).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
    expect(Object.keys(tooLongAnswer.fieldErrors ?? {})).toContain('answer.sdp');

    const largest = 'x'.repeat(64 * KiB);
    expect(
      await signaling.sendOffer.mutate({ to, offer: { type: 'offer', sdp: largest } }),
    ).toEqual({ delivered: true, peers: 1 });
    const relayed = await bob.device.next('offer');
    expect(relayed.offer.sdp).toBe(largest);
    expect(offersSeen(bob.device)).toHaveLength(1);
  });

  it('refuses an ICE candidate over 4 KiB; exactly 4 KiB is relayed', async () => {
    const alice = await online(server, 'Alice');
    const bob = await online(server, 'Bob');
    const { signaling } = alice.device.client;
    const to = { peerId: bob.device.peerId };

    const tooLong = await errorData(
      signaling.sendIceCandidate.mutate({ to, candidate: { candidate: 'c'.repeat(4 * KiB + 1) } }),
    );
    expect(tooLong).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
    expect(Object.keys(tooLong.fieldErrors ?? {})).toContain('candidate.candidate');

    const largest = 'c'.repeat(4 * KiB);
    expect(
      await signaling.sendIceCandidate.mutate({ to, candidate: { candidate: largest } }),
    ).toEqual({ delivered: true, peers: 1 });
    expect((await bob.device.next('ice-candidate')).candidate.candidate).toBe(largest);
    expect(bob.device.events.filter((e) => e.type === 'ice-candidate')).toHaveLength(1);
  });

  it('closes a socket that sends a WebSocket message over 1 MiB; its peer goes offline', async () => {
    const eve = await signedInUser(server, { name: 'Eve' });
    const client = await raw(server, { accessToken: eve.accessToken });
    const evePeerId = await client.subscribeSignaling(1);
    const bob = await online(server, 'Bob');
    await bob.device.client.signaling.markConnected.mutate({ peerId: evePeerId });

    const frame = (id: number, sdpLength: number) =>
      JSON.stringify({
        id,
        method: 'mutation',
        params: {
          path: 'signaling.sendOffer',
          input: superjson.serialize({
            to: { peerId: bob.device.peerId },
            offer: { type: 'offer', sdp: 'x'.repeat(sdpLength) },
          }),
        },
      });
    const overhead = Buffer.byteLength(frame(2, 0));

    // Exactly 1 MiB: an ordinary (invalid) request, answered; the socket stays open.
    const atTheLimit = frame(2, MiB - overhead);
    expect(Buffer.byteLength(atTheLimit)).toBe(MiB);
    client.send(atTheLimit);
    const reply = await client.reply(2);
    expect(reply.error?.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
    expect(client.isOpen()).toBe(true);

    const overTheLimit = frame(3, MiB - overhead + 1);
    expect(Buffer.byteLength(overTheLimit)).toBe(MiB + 1);
    const sentAt = performance.now();
    client.send(overTheLimit);
    const { at } = await within(client.closed, 5000, 'the server to close the socket');
    expect(at).toBeGreaterThanOrEqual(sentAt);
    expect(client.responses.some((r) => r.id === 3)).toBe(false);

    const status = await bob.device.next('peer-status', undefined, OFFLINE_WITHIN_MS * 3);
    expect(status).toEqual({
      type: 'peer-status',
      peer: { peerId: evePeerId, email: eve.email, name: 'Eve' },
      online: false,
      message: 'Eve went offline',
    });
    expect(since(at)).toBeLessThan(OFFLINE_WITHIN_MS + MARGIN_MS);
  });
});

describe('rate limit (default: burst 100, 50 per second)', () => {
  it('lets a peer send 100 messages at once, then refuses with TOO_MANY_REQUESTS and retryAfterSeconds', async () => {
    const alice = await online(server, 'Alice');
    const bob = await online(server, 'Bob');
    const { signaling } = alice.device.client;
    const to = { peerId: bob.device.peerId };

    const started = performance.now();
    const outcomes = await Promise.all(
      await startInBatches(
        Array.from(
          { length: 150 },
          (_, i) => () =>
            settle(signaling.sendIceCandidate.mutate({ to, candidate: aCandidate(`burst${i}`) })),
        ),
      ),
    );
    const elapsedSeconds = since(started) / 1000;

    const accepted = outcomes.flatMap((o) => (o.ok ? [o.value] : []));
    const refused = outcomes.flatMap((o) => (o.ok ? [] : [clientError(o.error)]));
    for (const result of accepted) expect(result).toEqual({ delivered: true, peers: 1 });
    // The whole burst, plus at most what refilled at 50/s while the calls were in flight.
    expect(accepted.length).toBeGreaterThanOrEqual(100);
    expect(accepted.length).toBeLessThanOrEqual(100 + Math.ceil(50 * elapsedSeconds));
    expect(refused.length).toBeGreaterThan(0);
    for (const error of refused) {
      expect(error.data).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        httpStatus: 429,
        reason: 'RATE_LIMITED',
      });
      expect(error.data?.retryAfterSeconds).toBeGreaterThan(0);
    }

    // Refused messages are not relayed: Bob gets exactly the accepted ones.
    const carol = await online(server, 'Carol');
    const marker = anOffer('after the burst');
    await carol.device.client.signaling.sendOffer.mutate({ to, offer: marker });
    await bob.device.next('offer', (e) => e.offer.sdp === marker.sdp);
    expect(bob.device.events.filter((e) => e.type === 'ice-candidate')).toHaveLength(
      accepted.length,
    );
  });
});

describe('with RATE_LIMITS signaling.peer {perSecond:5, burst:5}', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({
      env: { RATE_LIMITS: rateLimits({ perSecond: 5, burst: 5 }) },
    });
  });
  afterAll(() => limited.stop());

  // Six at once: all six are taken within a few milliseconds, far less than the 0.2 s a refill takes.
  it('accepts 5 messages at once, refuses the 6th, and accepts again after retryAfterSeconds', async () => {
    const alice = await online(limited, 'Alice');
    const bob = await online(limited, 'Bob');
    const send = (label: string) =>
      alice.device.client.signaling.sendIceCandidate.mutate({
        to: { peerId: bob.device.peerId },
        candidate: aCandidate(label),
      });

    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => settle(send(`n${i + 1}`))),
    );
    const accepted = outcomes.flatMap((o) => (o.ok ? [o.value] : []));
    const refused = outcomes.flatMap((o) => (o.ok ? [] : [clientError(o.error).data]));
    expect(accepted).toEqual(Array(5).fill({ delivered: true, peers: 1 }));
    expect(refused).toHaveLength(1);
    const [sixth] = refused;
    expect(sixth).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'RATE_LIMITED' });
    // One token at 5 per second is at most 0.2 s away; whole seconds round that up to 1.
    expect(sixth?.retryAfterSeconds).toBe(1);

    await sleep((sixth?.retryAfterSeconds ?? 1) * 1000);
    expect(await send('after the wait')).toEqual({ delivered: true, peers: 1 });
  });

  it('limits each peer on its own: another device of the same user can still send', async () => {
    const alice = await signedInUser(limited, { name: 'Alice' });
    const laptop = await connect(limited, alice.accessToken);
    const phone = await connect(limited, alice.accessToken);
    const bob = await online(limited, 'Bob');
    const to = { peerId: bob.device.peerId };

    const fromLaptop = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        settle(
          laptop.client.signaling.sendIceCandidate.mutate({ to, candidate: aCandidate(`l${i}`) }),
        ),
      ),
    );
    const refused = fromLaptop.flatMap((o) => (o.ok ? [] : [clientError(o.error).data]));
    expect(refused).toEqual([expect.objectContaining({ code: 'TOO_MANY_REQUESTS' })]);
    expect(
      await phone.client.signaling.sendIceCandidate.mutate({ to, candidate: aCandidate('p1') }),
    ).toEqual({ delivered: true, peers: 1 });
  });

  it('over HTTP, a refusal carries the Retry-After header', async () => {
    const alice = await online(limited, 'Alice');
    const bob = await online(limited, 'Bob');
    const input = { to: { peerId: bob.device.peerId }, candidate: aCandidate('http') };
    const post = () =>
      fetchJson(`${limited.url}/trpc/signaling.sendIceCandidate`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${alice.user.accessToken}`,
        },
        body: JSON.stringify(superjson.serialize(input)),
      });

    const responses = await Promise.all(Array.from({ length: 6 }, post));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 429]);
    const refused = responses.find((r) => r.status === 429);
    expect(refused?.body.error.json.data).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      reason: 'RATE_LIMITED',
      retryAfterSeconds: 1,
    });
    expect(refused?.headers.get('retry-after')).toBe('1');
  });
});

describe('with ACCESS_TOKEN_TTL_SECONDS 2', () => {
  let shortLived: TestServer;
  beforeAll(async () => {
    shortLived = await startTestServer({
      env: { RATE_LIMITS: rateLimits(), ACCESS_TOKEN_TTL_SECONDS: '2' },
    });
  });
  afterAll(() => shortLived.stop());

  it('an open subscription outlives its access token; the expired token opens nothing new', async () => {
    const alice = await online(shortLived, 'Alice');
    await sleep(3000);

    const bob = await online(shortLived, 'Bob');
    const offer = anOffer('after Alice’s token expired');
    expect(
      await bob.device.client.signaling.sendOffer.mutate({
        to: { email: alice.user.email },
        offer,
      }),
    ).toEqual({ delivered: true, peers: 1 });
    expect(await alice.device.next('offer', (e) => e.offer.sdp === offer.sdp)).toEqual({
      type: 'offer',
      from: bob.peer,
      offer,
    });
    expect(alice.device.error).toBeUndefined();
    expect(alice.device.stopped).toBe(false);

    // With a refreshed token (same session), HTTP calls still speak for the open peer.
    const refreshed = await shortLived
      .client()
      .auth.refresh.mutate({ refreshToken: alice.user.refreshToken });
    const answer = { type: 'answer' as const, sdp: sdp('answer with a refreshed token') };
    expect(
      await clientWithToken(shortLived, refreshed.accessToken).signaling.sendAnswer.mutate({
        to: { peerId: bob.device.peerId },
        answer,
      }),
    ).toEqual({ delivered: true, peers: 1 });
    expect(await bob.device.next('answer', (e) => e.answer.sdp === answer.sdp)).toEqual({
      type: 'answer',
      from: alice.peer,
      answer,
    });

    const expired = open(shortLived, { accessToken: alice.user.accessToken });
    await expired.ended();
    expect(expired.error?.data?.code).toBe('UNAUTHORIZED');
    expect(expired.events).toEqual([]);
  });
});

describe('signaling.iceServers', () => {
  const STUN_URLS = ['stun:stun.example.test:3478', 'stun:stun2.example.test:19302'];
  const TURN_URL = 'turn:turn.example.test:3478';
  let withTurn: TestServer;
  let withoutSecret: TestServer;
  beforeAll(async () => {
    [withTurn, withoutSecret] = await Promise.all([
      startTestServer({
        env: {
          RATE_LIMITS: rateLimits(),
          STUN_URLS: STUN_URLS.join(','),
          TURN_URLS: TURN_URL,
          TURN_SECRET: 's3cret',
          TURN_TTL_SECONDS: '600',
        },
      }),
      startTestServer({
        env: { RATE_LIMITS: rateLimits(), STUN_URLS: STUN_URLS[0], TURN_URLS: TURN_URL },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([withTurn.stop(), withoutSecret.stop()]);
  });

  const urlsOf = (entry: { urls: string | string[] }) => [entry.urls].flat();

  it('hands out STUN from STUN_URLS and TURN with TURN REST API credentials', async () => {
    const user = await signedInUser(withTurn);
    const before = Math.floor(Date.now() / 1000);
    const result = await user.client.signaling.iceServers.query();
    const after = Math.ceil(Date.now() / 1000);

    expect(result.ttlSeconds).toBe(600);
    const stun = result.iceServers.filter((entry) =>
      urlsOf(entry).some((u) => u.startsWith('stun:')),
    );
    expect(stun.flatMap(urlsOf).sort()).toEqual([...STUN_URLS].sort());
    for (const entry of stun) {
      expect(entry.username).toBeUndefined();
      expect(entry.credential).toBeUndefined();
    }

    const turn = result.iceServers.filter((entry) => urlsOf(entry).includes(TURN_URL));
    expect(turn).toHaveLength(1);
    const [entry] = turn;
    const match = /^(\d+):(.+)$/.exec(entry?.username ?? '');
    expect(match?.[2]).toBe(user.userId);
    const expiry = Number(match?.[1]);
    expect(expiry).toBeGreaterThanOrEqual(before + 600);
    expect(expiry).toBeLessThanOrEqual(after + 600);
    expect(entry?.credential).toBe(
      createHmac('sha1', 's3cret')
        .update(entry?.username ?? '')
        .digest('base64'),
    );
  });

  it('hands out no TURN entry without TURN_SECRET', async () => {
    const user = await signedInUser(withoutSecret);
    const { iceServers } = await user.client.signaling.iceServers.query();

    expect(iceServers.flatMap(urlsOf)).toEqual([STUN_URLS[0]]);
    for (const entry of iceServers) {
      expect(entry.username).toBeUndefined();
      expect(entry.credential).toBeUndefined();
    }
  });

  it('defaults to Google STUN and needs a signed-in caller', async () => {
    const user = await signedInUser(server);
    const { iceServers } = await user.client.signaling.iceServers.query();
    const urls = iceServers.flatMap(urlsOf);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url).toMatch(/^stun:stun\d*\.l\.google\.com:\d+$/);

    expect(await errorData(server.client().signaling.iceServers.query())).toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });
});

describe('keep-alive with WS_PING_INTERVAL_MS 500', () => {
  let pinging: TestServer;
  beforeAll(async () => {
    pinging = await startTestServer({
      env: { RATE_LIMITS: rateLimits(), WS_PING_INTERVAL_MS: '500' },
    });
  });
  afterAll(() => pinging.stop());

  /** The ping comes after 500 ms of quiet; the server then waits 5 s for any message. */
  const SILENT_CLOSE_WITHIN_MS = 500 + 5000 + 1000;

  it('closes a socket that never answers the ping, and keeps one that does', async () => {
    const [silent, answering] = await Promise.all([
      raw(pinging),
      raw(pinging, { answerPings: true }),
    ]);
    const openedAt = performance.now();

    const { at } = await within(silent.closed, SILENT_CLOSE_WITHIN_MS * 2, 'the silent socket');
    expect(silent.frames).toContain('PING');
    expect(at - openedAt).toBeLessThan(SILENT_CLOSE_WITHIN_MS);

    await sleep(1000);
    expect(answering.isOpen()).toBe(true);
    expect(answering.frames.filter((frame) => frame === 'PING').length).toBeGreaterThan(5);
  });

  it('a silent subscribed socket is closed and its paired peer hears it went offline', async () => {
    const ghost = await signedInUser(pinging, { name: 'Ghost' });
    const client = await raw(pinging, { accessToken: ghost.accessToken });
    const ghostPeerId = await client.subscribeSignaling();
    const subscribedAt = performance.now();
    const bob = await online(pinging, 'Bob');
    await bob.device.client.signaling.markConnected.mutate({ peerId: ghostPeerId });

    const { at } = await within(client.closed, SILENT_CLOSE_WITHIN_MS * 2, 'the silent socket');
    expect(at - subscribedAt).toBeLessThan(SILENT_CLOSE_WITHIN_MS);
    const status = await bob.device.next('peer-status', undefined, OFFLINE_WITHIN_MS * 3);
    expect(since(at)).toBeLessThan(OFFLINE_WITHIN_MS + MARGIN_MS);
    expect(status).toEqual({
      type: 'peer-status',
      peer: { peerId: ghostPeerId, email: ghost.email, name: 'Ghost' },
      online: false,
      message: 'Ghost went offline',
    });
    // Bob's client answers pings: it is still connected.
    expect(bob.device.error).toBeUndefined();
    expect(bob.device.stopped).toBe(false);
  });
});

describe('slow consumers', () => {
  let flooded: TestServer;
  beforeAll(async () => {
    flooded = await startTestServer({
      env: { RATE_LIMITS: rateLimits({ perSecond: 10_000, burst: 10_000 }) },
    });
  });
  afterAll(() => flooded.stop());

  it('closes a socket that stops reading while it is flooded, with memory bounded', async () => {
    const victim = await signedInUser(flooded, { name: 'Victim' });
    const client: RawClient = await raw(flooded, { accessToken: victim.accessToken });
    const victimPeerId = await client.subscribeSignaling();
    const flooder = await online(flooded, 'Flooder');
    const to = { peerId: victimPeerId };
    const { signaling } = flooder.device.client;
    expect(await signaling.sendOffer.mutate({ to, offer: anOffer('hello') })).toEqual({
      delivered: true,
      peers: 1,
    });

    client.ws.pause();
    const rssBefore = process.memoryUsage().rss;
    // Random text, so nothing along the way can make it small.
    const offer = { type: 'offer' as const, sdp: randomBytes(48 * KiB).toString('base64') };
    expect(offer.sdp.length).toBe(64 * KiB);
    const TOTAL = 800; // 50 MiB of offers
    // wsLink sends concurrent calls as one frame: 10 offers stay well under the 1 MiB frame limit.
    const BATCH = 10;
    let delivered = 0;
    let undelivered = 0;
    for (let sent = 0; sent < TOTAL; sent += BATCH) {
      const results = await Promise.all(
        Array.from({ length: BATCH }, () => signaling.sendOffer.mutate({ to, offer })),
      );
      for (const result of results) {
        if (result.delivered) delivered += 1;
        else undelivered += 1;
      }
    }
    const rssAfter = process.memoryUsage().rss;

    // The server cut the victim off part-way: later offers found no one to deliver to.
    expect(undelivered).toBeGreaterThan(0);
    expect(delivered + undelivered).toBe(TOTAL);
    expect(await signaling.sendOffer.mutate({ to, offer: anOffer('anyone there?') })).toEqual({
      delivered: false,
      peers: 0,
    });
    expect(rssAfter - rssBefore).toBeLessThan(150 * MiB);

    // Once it reads again, the victim finds its socket closed by the server.
    client.ws.resume();
    await within(client.closed, 10_000, 'the victim to see its socket closed');
  });
});
