import type { Peer, SignalingEvent } from './events.js';
import type { TokenBucket } from './token-bucket.js';

/** Where a subscription's messages go: its id (and JSON-RPC marker) on its socket. */
export interface SubscriptionWire {
  id: number | string;
  jsonrpc: '2.0' | undefined;
}

/** Events waiting for a subscriber that does not keep up; past this the peer is cut off. */
const MAX_QUEUED = 1000;

export type EndReason = 'closed' | 'revoked' | 'overflow' | 'shutdown';

/**
 * A peer hosted by this instance: a queue the subscription drains, and its send budget. Once its
 * subscription's first event is on the wire, events may instead be written straight to the socket
 * (`writeDirectly`), skipping the async iteration of the tRPC adapter; order is kept either way.
 */
export class LocalPeer {
  private readonly queue: SignalingEvent[] = [];
  private wake: (() => void) | undefined;
  private direct: ((event: SignalingEvent) => void) | undefined;
  /** The subscription's id on its socket, noted when its `ready` event is encoded. */
  wire: SubscriptionWire | undefined;
  endReason: EndReason | undefined;

  constructor(
    readonly self: Peer,
    readonly userId: string,
    readonly sessionId: string,
    readonly bucket: TokenBucket,
  ) {}

  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled. */
  inTurn<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => {});
    return run;
  }

  get id(): string {
    return this.self.peerId;
  }

  push(event: SignalingEvent): void {
    if (this.endReason) return;
    if (this.direct) {
      this.direct(event);
      return;
    }
    if (this.queue.length >= MAX_QUEUED) {
      this.end('overflow');
      return;
    }
    this.queue.push(event);
    this.wake?.();
  }

  /**
   * From now on every event goes to `write` as it arrives; events still queued go first. Called
   * while the subscription is suspended after yielding its first event, so none is in flight.
   */
  writeDirectly(write: (event: SignalingEvent) => void): void {
    if (this.endReason || this.direct) return;
    this.direct = write;
    for (const event of this.queue.splice(0)) write(event);
  }

  end(reason: EndReason): void {
    if (this.endReason) return;
    this.endReason = reason;
    this.wake?.();
  }

  /** Yields queued events until the peer ends (or `signal` aborts). */
  async *events(signal: AbortSignal | undefined): AsyncGenerator<SignalingEvent, EndReason> {
    const onAbort = () => this.end('closed');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      while (true) {
        const next = this.queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.endReason) return this.endReason;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
