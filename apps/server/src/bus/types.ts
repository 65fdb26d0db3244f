import type { SignalingEvent } from '../signaling/events.js';

/** What instances tell each other. */
export type BusMessage =
  /** Hand `event` to each listed peer that this instance hosts. */
  | { type: 'deliver'; peerIds: string[]; event: SignalingEvent }
  /** End these sessions' subscriptions. */
  | { type: 'sessions-revoked'; sessionIds: string[] };

export interface Bus {
  /** Delivers to this instance's handlers at once and to every other instance. */
  publish(message: BusMessage): Promise<void>;
  /** Adds a handler for messages from any instance, this one included. */
  subscribe(handler: (message: BusMessage) => void): void;
  /**
   * Called after the bus (re)connects: messages may have been missed meanwhile, so listeners
   * re-check what they hold against the database.
   */
  onReconnect(handler: () => void): void;
  close(): Promise<void>;
}
