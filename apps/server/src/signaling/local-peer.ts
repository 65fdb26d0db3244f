import type { Peer, SignalingEvent } from './events.js';
import type { TokenBucket } from './token-bucket.js';

/** Events waiting for a subscriber that does not keep up; past this the peer is cut off. */
const MAX_QUEUED = 1000;

export type EndReason = 'closed' | 'revoked' | 'overflow' | 'shutdown';

/** A peer hosted by this instance: a queue the subscription drains, and its send budget. */
export class LocalPeer {
  private readonly queue: SignalingEvent[] = [];
  private wake: (() => void) | undefined;
  endReason: EndReason | undefined;

  constructor(
    readonly self: Peer,
    readonly userId: string,
    readonly sessionId: string,
    readonly bucket: TokenBucket,
  ) {}

  get id(): string {
    return this.self.peerId;
  }

  push(event: SignalingEvent): void {
    if (this.endReason) return;
    if (this.queue.length >= MAX_QUEUED) {
      this.end('overflow');
      return;
    }
    this.queue.push(event);
    this.wake?.();
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
