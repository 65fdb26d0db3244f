import { check, equal } from './assert.js';
import type { FlowContext } from './context.js';

const WAIT = { timeoutMs: 5_000 };

/**
 * Two users over WebSockets: A offers to B's email, B answers A's peer, ICE both ways with the
 * right `from`, markConnected, then A leaves and B hears that A went offline.
 */
export async function signalingFlow(ctx: FlowContext) {
  const [alice, bob] = await Promise.all([ctx.user('alice'), ctx.user('bob')]);
  const a = await ctx.signIn(alice, 'e2e signaling A');
  const b = await ctx.signIn(bob, 'e2e signaling B');
  const ice = await a.client.signaling.iceServers.query();
  check(ice.ttlSeconds > 0, 'iceServers.ttlSeconds');

  const [peerA, peerB] = await Promise.all([
    a.client.signaling.connect(),
    b.client.signaling.connect(),
  ]);
  check(peerA.peerId && peerB.peerId && peerA.peerId !== peerB.peerId, 'peers have distinct ids');
  equal(peerA.self.email, alice.email, "A's ready.self.email");
  equal(peerB.self.name, bob.name, "B's ready.self.name");

  const offerSdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cryptweb-e2e-offer\r\n';
  const offered = peerB.next('offer', (e) => e.offer.sdp === offerSdp, WAIT);
  const sent = await peerA.offer({ email: bob.email }, offerSdp);
  equal(sent.delivered, true, 'offer delivered');
  equal(sent.peers, 1, 'offer reached peers');
  const offer = await offered;
  equal(offer.from.peerId, peerA.peerId, 'offer.from.peerId');
  equal(offer.from.email, alice.email, 'offer.from.email');
  equal(offer.from.name, alice.name, 'offer.from.name');

  const answerSdp = 'v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=cryptweb-e2e-answer\r\n';
  const answered = peerA.next('answer', (e) => e.answer.sdp === answerSdp, WAIT);
  equal(
    (await peerB.answer({ peerId: offer.from.peerId }, answerSdp)).delivered,
    true,
    'answer delivered',
  );
  const answer = await answered;
  equal(answer.from.peerId, peerB.peerId, 'answer.from.peerId');
  equal(answer.from.email, bob.email, 'answer.from.email');

  const candidateA = {
    candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50001 typ host',
    sdpMid: '0',
    sdpMLineIndex: 0,
  };
  const candidateB = {
    candidate: 'candidate:2 1 udp 2122260223 127.0.0.1 50002 typ host',
    sdpMid: '0',
    sdpMLineIndex: 0,
  };
  const iceAtB = peerB.next(
    'ice-candidate',
    (e) => e.candidate.candidate === candidateA.candidate,
    WAIT,
  );
  const iceAtA = peerA.next(
    'ice-candidate',
    (e) => e.candidate.candidate === candidateB.candidate,
    WAIT,
  );
  await peerA.ice({ peerId: peerB.peerId }, candidateA);
  await peerB.ice({ peerId: peerA.peerId }, candidateB);
  equal((await iceAtB).from.peerId, peerA.peerId, 'ICE at B from');
  equal((await iceAtA).from.peerId, peerB.peerId, 'ICE at A from');
  equal((await iceAtB).candidate.sdpMid, '0', 'ICE candidate sdpMid');

  equal((await peerA.markConnected(peerB.peerId)).ok, true, 'markConnected');
  const offline = peerB.next(
    'peer-status',
    (e) => e.peer.peerId === peerA.peerId && !e.online,
    WAIT,
  );
  peerA.close();
  const status = await offline;
  equal(status.message, `${alice.name} went offline`, 'peer-status message');
  equal(status.peer.email, alice.email, 'peer-status peer.email');

  // A has no open peer any more: an offer to A is not delivered, and nothing else happens.
  const late = await peerB.offer({ email: alice.email }, offerSdp);
  equal(late.delivered, false, 'offer to an offline user delivered');
  equal(late.peers, 0, 'offer to an offline user reached peers');
  peerB.close();
}
