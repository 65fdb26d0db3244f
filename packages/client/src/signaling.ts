import type { AppRouter, IceCandidate, Peer, SignalingEvent } from '@cryptweb/server';
import type { TRPCClient } from '@trpc/client';

export type { IceCandidate, Peer, SignalingEvent };
/** Whom a signaling message goes to: every open device of a user, or one peer. */
export type SignalingTarget = { email: string } | { peerId: string };
type EventOf<T extends SignalingEvent['type']> = Extract<SignalingEvent, { type: T }>;

/** This device's open signaling subscription. */
export interface SignalingConnection {
  /** This device's peer id; it changes when the subscription resumes after a reconnect. */
  readonly peerId: string;
  readonly self: Peer;
  /** Calls `handler` for each event of `type`; returns an unsubscribe function. */
  on<T extends SignalingEvent['type']>(type: T, handler: (event: EventOf<T>) => void): () => void;
  /**
   * Resolves with the next event of `type` matching `predicate`. Rejects on timeout, on abort, or
   * with `error` when the subscription ends first; a rejection for the end also reaches a caller
   * that awaits only later, and is never reported as unhandled meanwhile.
   */
  next<T extends SignalingEvent['type']>(
    type: T,
    predicate?: (event: EventOf<T>) => boolean,
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<EventOf<T>>;
  offer(to: SignalingTarget, sdp: string): Promise<{ delivered: boolean; peers: number }>;
  answer(to: SignalingTarget, sdp: string): Promise<{ delivered: boolean; peers: number }>;
  ice(to: SignalingTarget, candidate: IceCandidate): Promise<{ delivered: boolean; peers: number }>;
  /** Pairs this peer with another: each hears `peer-status` when the other goes offline. */
  markConnected(peerId: string): Promise<{ ok: true }>;
  /** Set when the subscription ended for good (e.g. the session was revoked). */
  readonly error: Error | undefined;
  close(): void;
}

type Procedures = Pick<TRPCClient<AppRouter>, 'signaling'>;

/**
 * Subscribes to `signaling.events` and resolves once the server says `ready`. `onEnd` runs once
 * when the subscription is over for good: the server ended it, it failed, or `close()` was called.
 */
export function connectSignaling(
  api: Procedures,
  onEnd?: () => void,
): Promise<SignalingConnection> {
  const handlers = new Map<SignalingEvent['type'], Set<(event: SignalingEvent) => void>>();
  /** Pending `next()` calls, ended when the subscription ends: nothing else would settle them. */
  const waiters = new Set<(reason: Error) => void>();
  let self: Peer | undefined;
  let failure: Error | undefined;
  let ended = false;

  const emit = (event: SignalingEvent) => {
    for (const handler of handlers.get(event.type) ?? []) handler(event);
  };
  const end = (reason: Error) => {
    if (ended) return;
    ended = true;
    for (const set of handlers.values()) set.clear();
    for (const reject of waiters) reject(reason);
    waiters.clear();
    onEnd?.();
  };
  const on = <T extends SignalingEvent['type']>(type: T, handler: (event: EventOf<T>) => void) => {
    const set = handlers.get(type) ?? new Set();
    handlers.set(type, set);
    const wrapped = handler as (event: SignalingEvent) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  };

  return new Promise((resolve, reject) => {
    const subscription = api.signaling.events.subscribe(undefined, {
      onData(event) {
        if (event.type === 'ready') {
          const first = !self;
          self = event.self;
          if (first) resolve(connection);
        }
        emit(event);
      },
      onError(error) {
        failure = error;
        if (!self) reject(error);
        end(error);
      },
      onComplete() {
        const reason = new Error('the server ended the signaling subscription');
        if (!self) reject(reason);
        end(reason);
      },
    });

    const connection: SignalingConnection = {
      get peerId() {
        return self?.peerId ?? '';
      },
      get self() {
        if (!self) throw new Error('signaling is not ready yet');
        return self;
      },
      get error() {
        return failure;
      },
      on,
      next(type, predicate, options = {}) {
        let resolveNext: (event: EventOf<typeof type>) => void = () => {};
        let rejectNext: (reason: unknown) => void = () => {};
        const waiting = new Promise<EventOf<typeof type>>((resolve, reject) => {
          resolveNext = resolve;
          rejectNext = reject;
        });
        // The end of the subscription comes from the server, whenever it likes: e.g. a revoked
        // session's subscription may end before the revoke's own answer arrives, while the
        // caller still awaits that answer and has not reached this wait yet. The caller gets
        // the rejection when it awaits (and `error` keeps it); until then it is marked handled,
        // so Node does not report it as unhandled.
        const rejectForEnd = (reason: Error) => {
          waiting.catch(() => {});
          rejectNext(reason);
        };
        if (ended) {
          rejectForEnd(failure ?? new Error('signaling is closed'));
          return waiting;
        }
        const settle = () => {
          off();
          clearTimeout(timer);
          waiters.delete(endWait);
          options.signal?.removeEventListener('abort', onAbort);
        };
        const fail = (reason: unknown) => {
          settle();
          rejectNext(reason);
        };
        const endWait = (reason: Error) => {
          settle();
          rejectForEnd(reason);
        };
        const timer = options.timeoutMs
          ? setTimeout(
              () => fail(new Error(`no ${type} event within ${options.timeoutMs} ms`)),
              options.timeoutMs,
            )
          : undefined;
        const off = on(type, (event) => {
          if (predicate && !predicate(event)) return;
          settle();
          resolveNext(event);
        });
        waiters.add(endWait);
        const onAbort = () => fail(options.signal?.reason);
        if (options.signal?.aborted) onAbort();
        else options.signal?.addEventListener('abort', onAbort, { once: true });
        return waiting;
      },
      offer: (to, sdp) => api.signaling.sendOffer.mutate({ to, offer: { type: 'offer', sdp } }),
      answer: (to, sdp) => api.signaling.sendAnswer.mutate({ to, answer: { type: 'answer', sdp } }),
      ice: (to, candidate) => api.signaling.sendIceCandidate.mutate({ to, candidate }),
      markConnected: (peerId) => api.signaling.markConnected.mutate({ peerId }),
      close() {
        subscription.unsubscribe();
        end(new Error('signaling is closed'));
      },
    };
  });
}
