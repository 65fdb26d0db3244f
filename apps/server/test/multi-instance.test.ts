import { randomBytes } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/routers/_app.js';
import { onPostgres } from './support/database.js';
import { errorData } from './support/errors.js';
import {
  type Cluster,
  type ClusterUser,
  clientAt,
  connectDeviceAt,
  type Instance,
  signInAt,
  startCluster,
  verifiedAccountAt,
} from './support/multi-cluster.js';
import { startInBatches } from './support/sig-wait.js';
import type { Device } from './support/signaling.js';

/** A session description of at least `bytes` characters: far past NOTIFY's 8000-byte payload limit. */
function bigSdp(kind: 'offer' | 'answer', bytes: number): string {
  const lines = [
    'v=0',
    `o=- ${randomBytes(8).readBigUInt64BE()} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    `a=ice-ufrag:${randomBytes(4).toString('hex')}`,
    `a=ice-pwd:${randomBytes(12).toString('hex')}`,
    `a=setup:${kind === 'offer' ? 'actpass' : 'active'}`,
    'a=x-label:caméra “front” 📷',
  ];
  for (let i = 0; lines.join('\r\n').length < bytes; i++) {
    lines.push(
      `a=candidate:${i} 1 udp ${2_122_260_223 - i} 192.0.2.${i % 250} ${40_000 + i} typ host generation 0`,
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

const unauthorized = { code: 'UNAUTHORIZED', httpStatus: 401 };

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.runIf(onPostgres)('two server processes on one PostgreSQL database', () => {
  let cluster: Cluster;
  let one: Instance;
  let two: Instance;
  const devices: Device[] = [];

  beforeAll(async () => {
    cluster = await startCluster(2);
    const [first, second] = cluster.instances;
    if (!first || !second) throw new Error('the cluster did not start two instances');
    one = first;
    two = second;
  }, 90_000);

  afterAll(async () => {
    for (const device of devices) device.close();
    await cluster?.stop();
  }, 60_000);

  /** A verified user, signed up and signed in through instance 1. */
  async function user(name: string): Promise<ClusterUser> {
    return signInAt(one.url, await verifiedAccountAt(cluster, one.url, name));
  }

  async function device(instance: Instance, who: ClusterUser): Promise<Device> {
    const opened = await connectDeviceAt(instance.url, who.accessToken);
    devices.push(opened);
    return opened;
  }

  const peerOf = (who: ClusterUser, device: Device) => ({
    peerId: device.peerId,
    email: who.email,
    name: who.name,
  });

  it('relays a 30 KB offer, the answer and ICE candidates between peers on different instances', async () => {
    const alice = await user('Alice');
    const bob = await user('Bob');
    const a = await device(one, alice);
    const b = await device(two, bob);

    const offerSdp = bigSdp('offer', 30_000);
    expect(Buffer.byteLength(offerSdp)).toBeGreaterThan(30_000);
    expect(
      await a.client.signaling.sendOffer.mutate({
        to: { email: bob.email },
        offer: { type: 'offer', sdp: offerSdp },
      }),
    ).toEqual({ delivered: true, peers: 1 });
    const offer = await b.next('offer');
    expect(offer.from).toEqual(peerOf(alice, a));
    expect(offer.offer.type).toBe('offer');
    expect(offer.offer.sdp.length).toBe(offerSdp.length);
    expect(offer.offer.sdp === offerSdp).toBe(true);

    const answerSdp = bigSdp('answer', 30_000);
    expect(
      await b.client.signaling.sendAnswer.mutate({
        to: { peerId: offer.from.peerId },
        answer: { type: 'answer', sdp: answerSdp },
      }),
    ).toEqual({ delivered: true, peers: 1 });
    const answer = await a.next('answer');
    expect(answer.from).toEqual(peerOf(bob, b));
    expect(answer.answer.type).toBe('answer');
    expect(answer.answer.sdp === answerSdp).toBe(true);

    const fromAlice = {
      candidate: 'candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host generation 0',
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: 'a1b2',
    };
    const fromBob = {
      candidate: 'candidate:2 1 udp 1686052607 198.51.100.7 61000 typ srflx raddr 0.0.0.0 rport 0',
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: 'c3d4',
    };
    expect(
      await a.client.signaling.sendIceCandidate.mutate({
        to: { email: bob.email },
        candidate: fromAlice,
      }),
    ).toEqual({ delivered: true, peers: 1 });
    expect(
      await b.client.signaling.sendIceCandidate.mutate({
        to: { peerId: a.peerId },
        candidate: fromBob,
      }),
    ).toEqual({ delivered: true, peers: 1 });
    expect(await b.next('ice-candidate')).toEqual({
      type: 'ice-candidate',
      from: peerOf(alice, a),
      candidate: fromAlice,
    });
    expect(await a.next('ice-candidate')).toEqual({
      type: 'ice-candidate',
      from: peerOf(bob, b),
      candidate: fromBob,
    });

    // Each message arrived exactly once, and nothing came back to its sender.
    const types = (d: Device) => d.events.map((event) => event.type);
    expect(types(a)).toEqual(['ready', 'answer', 'ice-candidate']);
    expect(types(b)).toEqual(['ready', 'offer', 'ice-candidate']);
  }, 60_000);

  it('keeps the order of a burst across instances: a 20 KB offer, then 60 candidates, sent at once', async () => {
    const alice = await user('Alice');
    const bob = await user('Bob');
    const a = await device(one, alice);
    const b = await device(two, bob);
    const to = { peerId: b.peerId };
    const candidate = (i: number) => ({
      candidate: `candidate:${i} 1 udp 2122260223 192.0.2.10 ${50_000 + i} typ host`,
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: `burst${i}`,
    });
    // Sent without waiting: many share a notification, the large offer travels by table.
    const sent = await Promise.all(
      await startInBatches([
        () =>
          a.client.signaling.sendOffer.mutate({
            to,
            offer: { type: 'offer', sdp: bigSdp('offer', 20_000) },
          }),
        ...Array.from(
          { length: 60 },
          (_, i) => () =>
            a.client.signaling.sendIceCandidate.mutate({ to, candidate: candidate(i) }),
        ),
      ]),
    );
    for (const result of sent) expect(result).toEqual({ delivered: true, peers: 1 });
    await b.next('ice-candidate', (e) => e.candidate.usernameFragment === 'burst59');
    const relayed = b.events.filter((e) => e.type !== 'ready');
    expect(
      relayed.map((e) => (e.type === 'ice-candidate' ? e.candidate.usernameFragment : e.type)),
    ).toEqual(['offer', ...Array.from({ length: 60 }, (_, i) => `burst${i}`)]);
  }, 60_000);

  it('a large SDP holding a NUL character is relayed intact or refused as INVALID_INPUT, never a 500', async () => {
    const alice = await user('Alice');
    const bob = await user('Bob');
    const a = await device(one, alice);
    const b = await device(two, bob);
    const sdp = `${bigSdp('offer', 20_000)}a=x-note:nul\u0000here\r\n`;

    const outcome = await a.client.signaling.sendOffer
      .mutate({ to: { email: bob.email }, offer: { type: 'offer', sdp } })
      .then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
    if (outcome.ok) {
      expect(outcome.value).toEqual({ delivered: true, peers: 1 });
      expect((await b.next('offer')).offer.sdp === sdp).toBe(true);
    } else {
      expect(outcome.error).toBeInstanceOf(TRPCClientError);
      const data = (outcome.error as TRPCClientError<AppRouter>).data;
      expect(data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
    }
  }, 60_000);

  /** Bob on two devices, both subscribed on instance 2; `end` revokes the phone’s session via instance 1. */
  async function revokedAcrossInstances(
    end: (phone: ClusterUser, laptop: ClusterUser) => Promise<unknown>,
  ) {
    const account = await verifiedAccountAt(cluster, one.url, 'Bob');
    const phone = await signInAt(one.url, account);
    const laptop = await signInAt(one.url, account);
    const phoneDevice = await device(two, phone);
    const laptopDevice = await device(two, laptop);
    expect((await clientAt(two.url, phone.accessToken).auth.me.query()).session.id).toBe(
      phone.sessionId,
    );

    // Measured from the moment the revoking request leaves, so it includes that round trip.
    const started = Date.now();
    await end(phone, laptop);
    await waitFor(() => phoneDevice.error !== undefined || phoneDevice.stopped, 5000, 'the end');
    expect(Date.now() - started).toBeLessThanOrEqual(1000);
    expect(phoneDevice.error?.data?.code).toBe('UNAUTHORIZED');

    // The very next request with the revoked token, over HTTP and over the socket, on instance 2.
    expect(await errorData(clientAt(two.url, phone.accessToken).auth.me.query())).toMatchObject(
      unauthorized,
    );
    expect(
      await errorData(clientAt(two.url, phone.accessToken).transfers.stats.query()),
    ).toMatchObject(unauthorized);
    expect(await errorData(phoneDevice.client.auth.me.query())).toMatchObject({
      code: 'UNAUTHORIZED',
    });

    // The other session, and its subscription on instance 2, live on.
    expect(laptopDevice.error).toBeUndefined();
    expect(laptopDevice.stopped).toBe(false);
    expect((await clientAt(two.url, laptop.accessToken).auth.me.query()).session.id).toBe(
      laptop.sessionId,
    );
  }

  it('sessions.revoke through instance 1 ends the session’s subscription on instance 2 within 1 s and refuses its token there', async () => {
    await revokedAcrossInstances((phone, laptop) =>
      clientAt(one.url, laptop.accessToken).sessions.revoke.mutate({ sessionId: phone.sessionId }),
    );
  }, 60_000);

  it('auth.signOut through instance 1 ends the session’s subscription on instance 2 within 1 s and refuses its token there', async () => {
    await revokedAcrossInstances((phone) =>
      clientAt(one.url, phone.accessToken).auth.signOut.mutate(),
    );
  }, 60_000);

  // Last: it kills instance 1.
  it('when instance 1 is SIGKILLed, paired peers on instance 2 hear "<name> went offline" within 15 s', async () => {
    const alice = await user('Alice');
    const bob = await user('Bob');
    const a = await device(one, alice);
    const b = await device(two, bob);
    expect(await a.client.signaling.markConnected.mutate({ peerId: b.peerId })).toEqual({
      ok: true,
    });
    const offer = { type: 'offer' as const, sdp: 'v=0\r\n' };
    expect(
      await b.client.signaling.sendOffer.mutate({ to: { email: alice.email }, offer }),
    ).toEqual({ delivered: true, peers: 1 });
    await a.next('offer');

    const killedAt = Date.now();
    one.process.child.kill('SIGKILL');
    expect(await one.process.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const status = await b.next(
      'peer-status',
      (event) => event.peer.peerId === a.peerId && !event.online,
      20_000,
    );
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeLessThanOrEqual(15_000);
    expect(status).toEqual({
      type: 'peer-status',
      peer: peerOf(alice, a),
      online: false,
      message: 'Alice went offline',
    });

    expect(
      await b.client.signaling.sendOffer.mutate({ to: { email: alice.email }, offer }),
    ).toEqual({ delivered: false, peers: 0 });
    expect(await b.client.signaling.sendOffer.mutate({ to: { peerId: a.peerId }, offer })).toEqual({
      delivered: false,
      peers: 0,
    });
    // Bob's own subscription on the surviving instance is untouched.
    expect(b.error).toBeUndefined();
    expect(b.stopped).toBe(false);
  }, 60_000);
});
