import { mapLimit } from '../support/limit.js';
import { Histogram } from '../support/stats.js';
import type { Endpoint, RelayStepResult } from './messages.js';
import { type ClientConn, type ClientHandlers, connect } from './protocols.js';

/** Longest catch-up burst after the event loop stalled: 100 ms worth of messages. */
const MAX_BURST_SECONDS = 0.1;
const TICK_MS = 2;

const now = () => performance.timeOrigin + performance.now();

/**
 * The pairs one generator drives: each pair's two clients send to each other, so one process
 * sees both ends of every message and the one-way latency needs no clock agreement.
 */
export class RelayLoad {
  private senders: { conn: ClientConn; to: string }[] = [];
  private conns: ClientConn[] = [];
  private step = -1;
  private received = 0;
  private rejected = 0;
  private undelivered = 0;
  private firstError: string | undefined;
  private latency = new Histogram();

  readonly handlers: ClientHandlers = {
    onRelay: (marker) => {
      const cut = marker.indexOf('_');
      if (Number(marker.slice(0, cut)) !== this.step) return; // a straggler of an earlier step
      this.received += 1;
      this.latency.record(now() - Number(marker.slice(cut + 1)));
    },
    onReply: (outcome, error) => {
      if (outcome === 'rejected') {
        this.rejected += 1;
        this.firstError ??= error;
      } else if (outcome === 'undelivered') {
        this.undelivered += 1;
      }
    },
  };

  async open(pairs: { a: Endpoint; b: Endpoint }[], timeoutMs: number): Promise<number> {
    await mapLimit(pairs, 16, async (pair) => {
      const [a, b] = await Promise.allSettled([
        connect(pair.a, this.handlers, timeoutMs),
        connect(pair.b, this.handlers, timeoutMs),
      ]);
      if (a.status === 'rejected' || b.status === 'rejected') {
        if (a.status === 'fulfilled') a.value.close();
        if (b.status === 'fulfilled') b.value.close();
        throw a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason;
      }
      this.conns.push(a.value, b.value);
      this.senders.push(
        { conn: a.value, to: b.value.address },
        { conn: b.value, to: a.value.address },
      );
    });
    return this.conns.length;
  }

  /** Offers `rate` msgs/s for `durationMs` from `startAt`, then waits up to `drainMs` for arrivals. */
  async run(step: number, rate: number, durationMs: number, drainMs: number, startAt: number) {
    this.step = step;
    this.received = 0;
    this.rejected = 0;
    this.undelivered = 0;
    this.firstError = undefined;
    this.latency = new Histogram();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
    const senders = this.senders;
    let sent = 0;
    let next = 0;
    const total = Math.round((rate * durationMs) / 1000);
    const started = performance.now();
    const maxBurst = Math.max(1, Math.ceil(rate * MAX_BURST_SECONDS));
    await new Promise<void>((resolve) => {
      const tick = () => {
        const elapsed = performance.now() - started;
        const due = Math.min(total, Math.floor((rate * Math.min(elapsed, durationMs)) / 1000));
        const burst = Math.min(due - sent, maxBurst);
        for (let i = 0; i < burst && senders.length > 0; i += 1) {
          const sender = senders[next] ?? senders[0];
          next = (next + 1) % senders.length;
          sender?.conn.sendCandidate(sender.to, `${step}_${now().toFixed(3)}`);
          sent += 1;
        }
        // Bounded in time: the window closes at durationMs whatever was not sent (client-bound).
        if (sent >= total || elapsed >= durationMs + MAX_BURST_SECONDS * 1000) resolve();
        else setTimeout(tick, TICK_MS);
      };
      tick();
    });
    const windowMs = performance.now() - started;
    const drainEnd = performance.now() + drainMs;
    while (
      this.received + this.rejected + this.undelivered < sent &&
      performance.now() < drainEnd
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const result: Omit<RelayStepResult, 'cpuMs' | 'wallMs'> = {
      sent,
      received: this.received,
      rejected: this.rejected,
      undelivered: this.undelivered,
      windowMs,
      activeMs: performance.now() - started,
      latency: this.latency.snapshot(),
      ...(this.firstError ? { firstError: this.firstError } : {}),
    };
    this.step = -1;
    return result;
  }

  close(): void {
    for (const conn of this.conns) conn.close();
    this.conns = [];
    this.senders = [];
  }
}
