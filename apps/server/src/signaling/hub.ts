import { randomUUID } from 'node:crypto';
import { and, desc, eq, ne, sql } from 'drizzle-orm';
import type { Bus, BusMessage } from '../bus/types.js';
import type { Database } from '../db/client.js';
import { instances, peerPairs, peers, users } from '../db/schema.js';
import type { Env } from '../env.js';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AuthSession } from '../services/sessions.js';
import type { Peer, RelayedEvent, Target } from './events.js';
import { type EndReason, LocalPeer } from './local-peer.js';
import { announceOffline } from './offline.js';
import { admitPeer } from './peer-admission.js';
import { SessionWatch } from './session-watch.js';
import { TokenBucket } from './token-bucket.js';

const DEFAULT_BUDGET = { perSecond: 50, burst: 100 };

/**
 * The peers this instance hosts, and the routing of signaling messages to peers anywhere: the
 * `peers` table says who is online where, the bus carries the messages.
 */
export class SignalingHub {
  readonly local = new Map<string, LocalPeer>();
  /** Sessions that ended lately, and those sockets have proven (see session-watch.ts). */
  readonly sessions = new SessionWatch();
  private readonly budget: { perSecond: number; burst: number };

  constructor(
    private readonly deps: { db: Database; env: Env; bus: Bus; logger: Logger; instanceId: string },
  ) {
    const override = deps.env.RATE_LIMITS['signaling.peer'];
    this.budget = override && 'perSecond' in override ? override : DEFAULT_BUDGET;
    deps.bus.subscribe((message) => this.onBusMessage(message));
  }

  private onBusMessage(message: BusMessage) {
    if (message.type === 'deliver') {
      for (const peerId of message.peerIds) this.local.get(peerId)?.push(message.event);
      return;
    }
    this.sessionsEnded(message.sessionIds);
  }

  /**
   * These sessions were revoked or expired: sockets that proved them stop relying on the proof,
   * and their subscriptions here end.
   */
  sessionsEnded(sessionIds: string[]): void {
    if (sessionIds.length === 0) return;
    this.sessions.markEnded(sessionIds);
    const ended = new Set(sessionIds);
    for (const peer of this.local.values()) {
      if (ended.has(peer.sessionId)) peer.end('revoked');
    }
  }

  /** The sessions this instance's sockets rely on: open subscriptions' and proven ones. */
  sessionsInUse(): { all: string[]; used: string[] } {
    const held = this.sessions.takeHeld();
    const subscribed = new Set<string>();
    for (const peer of this.local.values()) if (!peer.endReason) subscribed.add(peer.sessionId);
    // A device with an open subscription is using its session; a proven one, when it was called.
    const used = new Set([...subscribed, ...held.used]);
    return { all: [...new Set([...subscribed, ...held.all])], used: [...used] };
  }

  /**
   * Registers a new peer for the caller's session, within the session's and the user's limits
   * (TOO_MANY_PEERS beyond); the caller drains `peer.events()`.
   */
  async open(auth: AuthSession): Promise<LocalPeer> {
    const [user] = await this.deps.db
      .select({ email: users.email, name: users.name })
      .from(users)
      .where(eq(users.id, auth.userId));
    if (!user) throw new DomainError('UNAUTHENTICATED');
    const self: Peer = { peerId: randomUUID(), email: user.email, name: user.name };
    const peer = new LocalPeer(
      self,
      auth.userId,
      auth.sessionId,
      new TokenBucket(this.budget.perSecond, this.budget.burst),
    );
    // Known here before its row is visible elsewhere, so no delivery to it is dropped.
    this.local.set(peer.id, peer);
    try {
      await admitPeer(
        this.deps.db,
        {
          id: peer.id,
          userId: auth.userId,
          sessionId: auth.sessionId,
          instanceId: this.deps.instanceId,
        },
        this.deps.env.MAX_PEERS_PER_SESSION,
      );
    } catch (error) {
      this.local.delete(peer.id);
      throw error;
    }
    // Revoked while it was being admitted: it ends before it starts (the row goes with it).
    if (this.sessions.hasEnded(auth.sessionId)) peer.end('revoked');
    return peer;
  }

  /** Forgets a peer that ended and tells the peers it was paired with that it went offline. */
  async close(peer: LocalPeer, reason: EndReason): Promise<void> {
    peer.end(reason);
    this.local.delete(peer.id);
    await this.deps.db.delete(peers).where(eq(peers.id, peer.id));
    await announceOffline(this.deps.db, this.deps.bus, [peer.self]);
  }

  /**
   * The peer a call speaks for: the caller's subscription on the same socket, else the caller's
   * newest peer anywhere. Only the caller's own session's peers qualify.
   */
  async senderFor(
    auth: AuthSession,
    connectionPeerIds: Iterable<string>,
  ): Promise<LocalPeer | Peer> {
    const local = this.localSender(auth, connectionPeerIds);
    if (local) return local;
    const [row] = await this.deps.db
      .select({ peerId: peers.id, email: users.email, name: users.name })
      .from(peers)
      .innerJoin(users, eq(users.id, peers.userId))
      .innerJoin(instances, eq(instances.id, peers.instanceId))
      .where(eq(peers.sessionId, auth.sessionId))
      .orderBy(desc(peers.connectedAt))
      .limit(1);
    if (!row) throw new DomainError('NO_PEER');
    return this.local.get(row.peerId) ?? row;
  }

  /** The caller's subscription on the same socket, if it is open on this instance. */
  private localSender(auth: AuthSession, connectionPeerIds: Iterable<string>) {
    for (const id of connectionPeerIds) {
      const peer = this.local.get(id);
      if (peer && peer.sessionId === auth.sessionId && !peer.endReason) return peer;
    }
    return undefined;
  }

  /**
   * The relay's fast path, without the database, the bus or a promise: both peers open on this
   * instance and the sender within its budget. False means nothing was done or taken, and the
   * call must go the full way (`send`), which also gives every error its proper answer.
   */
  relayLocally(
    auth: AuthSession,
    connectionPeerIds: Iterable<string>,
    to: Target,
    build: (from: Peer) => RelayedEvent,
  ): boolean {
    if (!('peerId' in to)) return false;
    const sender = this.localSender(auth, connectionPeerIds);
    if (!sender || sender.id === to.peerId) return false;
    const target = this.local.get(to.peerId);
    if (!target || target.endReason) return false;
    if (!sender.bucket.take().ok) return false;
    target.push(build(sender.self));
    return true;
  }

  private budgetFor(sender: LocalPeer | Peer): TokenBucket {
    if (sender instanceof LocalPeer) return sender.bucket;
    let bucket = this.remoteBuckets.get(sender.peerId);
    if (!bucket) {
      // Budgets of peers hosted elsewhere are kept here only while in use; bound the map.
      if (this.remoteBuckets.size >= 10_000) this.remoteBuckets.clear();
      bucket = new TokenBucket(this.budget.perSecond, this.budget.burst);
      this.remoteBuckets.set(sender.peerId, bucket);
    }
    return bucket;
  }
  private readonly remoteBuckets = new Map<string, TokenBucket>();
  /** Relays by peerId to a peer elsewhere run this for every message: prepared once. */
  private openPeerQuery: ReturnType<typeof prepareOpenPeer> | undefined;

  /** Relays an offer, answer or ICE candidate from the caller's peer to the target's open peers. */
  async send(
    auth: AuthSession,
    connectionPeerIds: Iterable<string>,
    to: Target,
    build: (from: Peer) => RelayedEvent,
  ): Promise<{ delivered: boolean; peers: number }> {
    const local = this.localSender(auth, connectionPeerIds);
    const routed = local
      ? // One sender's relays are routed one after another (their lookups would otherwise race),
        // so they reach peers on other instances in the order they were sent.
        local.inTurn(() => this.route(local, to, build))
      : this.route(await this.senderFor(auth, connectionPeerIds), to, build);
    const { result, published } = await routed;
    await published;
    return result;
  }

  /** Budget, targets, delivery: everything up to handing remote deliveries to the bus. */
  private async route(
    sender: LocalPeer | Peer,
    to: Target,
    build: (from: Peer) => RelayedEvent,
  ): Promise<{ result: { delivered: boolean; peers: number }; published?: Promise<void> }> {
    const taken = this.budgetFor(sender).take();
    if (!taken.ok)
      throw new DomainError('RATE_LIMITED', { retryAfterSeconds: taken.retryAfterSeconds });
    const self = sender instanceof LocalPeer ? sender.self : sender;
    // The hot path: a peer on this instance is reached without the database or the bus.
    if ('peerId' in to && to.peerId !== self.peerId) {
      const target = this.local.get(to.peerId);
      if (target && !target.endReason) {
        target.push(build(self));
        return { result: { delivered: true, peers: 1 } };
      }
    }
    const targets = await this.resolve(to, self.peerId);
    if (targets.length === 0) return { result: { delivered: false, peers: 0 } };
    const event = build(self);
    const remote: string[] = [];
    for (const id of targets) {
      const local = this.local.get(id);
      if (local) local.push(event);
      else remote.push(id);
    }
    const published =
      remote.length > 0
        ? this.deps.bus.publish({ type: 'deliver', peerIds: remote, event })
        : undefined;
    return { result: { delivered: true, peers: targets.length }, published };
  }

  /** Open peers behind a target, on live instances, never the sender itself. */
  private async resolve(to: Target, senderPeerId: string): Promise<string[]> {
    if ('peerId' in to) {
      if (to.peerId === senderPeerId) return [];
      this.openPeerQuery ??= prepareOpenPeer(this.deps.db);
      const rows = await this.openPeerQuery.execute({ peerId: to.peerId });
      return rows.map((row) => row.id);
    }
    const where = eq(
      peers.userId,
      this.deps.db.select({ id: users.id }).from(users).where(eq(users.email, to.email)),
    );
    const rows = await this.deps.db
      .select({ id: peers.id })
      .from(peers)
      .innerJoin(instances, eq(instances.id, peers.instanceId))
      .where(and(where, ne(peers.id, senderPeerId)));
    return rows.map((row) => row.id);
  }

  /** Pairs the caller's peer with another, so each hears when the other goes offline. */
  async markConnected(auth: AuthSession, connectionPeerIds: Iterable<string>, peerId: string) {
    const sender = await this.senderFor(auth, connectionPeerIds);
    const self = sender instanceof LocalPeer ? sender.self : sender;
    const [target] = await this.deps.db
      .select({ id: peers.id })
      .from(peers)
      .innerJoin(instances, eq(instances.id, peers.instanceId))
      .where(eq(peers.id, peerId));
    if (!target || target.id === self.peerId) throw new DomainError('PEER_NOT_FOUND');
    await this.deps.db
      .insert(peerPairs)
      .values([
        { peerId: self.peerId, otherPeerId: target.id },
        { peerId: target.id, otherPeerId: self.peerId },
      ])
      .onConflictDoNothing();
    return { ok: true as const };
  }

  /** Ends these sessions' subscriptions on every instance. */
  async sessionsRevoked(sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.deps.bus.publish({ type: 'sessions-revoked', sessionIds });
  }

  /** Shutdown: every local peer ends and its partners hear it went offline. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.local.values()].map((peer) => this.close(peer, 'shutdown')));
  }
}

/** An open peer on a live instance, by id. */
function prepareOpenPeer(db: Database) {
  return db
    .select({ id: peers.id })
    .from(peers)
    .innerJoin(instances, eq(instances.id, peers.instanceId))
    .where(eq(peers.id, sql.placeholder('peerId')))
    .prepare('open_peer');
}
