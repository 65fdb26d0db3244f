import { inArray, or } from 'drizzle-orm';
import type { Bus } from '../bus/types.js';
import type { Database } from '../db/client.js';
import { peerPairs } from '../db/schema.js';
import type { Peer } from './events.js';

/** Sends `"<name> went offline"` to every peer paired with one of `gone`, then forgets the pairs. */
export async function announceOffline(db: Database, bus: Bus, gone: Peer[]): Promise<void> {
  if (gone.length === 0) return;
  const ids = gone.map((peer) => peer.peerId);
  const pairs = await db
    .delete(peerPairs)
    .where(or(inArray(peerPairs.peerId, ids), inArray(peerPairs.otherPeerId, ids)))
    .returning({ peerId: peerPairs.peerId, otherPeerId: peerPairs.otherPeerId });
  const goneIds = new Set(ids);
  for (const peer of gone) {
    const listeners = pairs
      .filter((pair) => pair.peerId === peer.peerId && !goneIds.has(pair.otherPeerId))
      .map((pair) => pair.otherPeerId);
    if (listeners.length === 0) continue;
    await bus.publish({
      type: 'deliver',
      peerIds: listeners,
      event: { type: 'peer-status', peer, online: false, message: `${peer.name} went offline` },
    });
  }
}
