import type { IceCandidate } from './signaling.js';

/**
 * The parts of a standard `RTCPeerConnection` the transfer helper uses: the browser's own, or a
 * Node implementation such as werift, both fit.
 */
export interface PeerConnectionLike {
  createDataChannel(label: string, init?: { ordered?: boolean }): DataChannelLike;
  createOffer(): Promise<{ type?: string; sdp?: string }>;
  createAnswer(): Promise<{ type?: string; sdp?: string }>;
  setLocalDescription(description: { type?: string; sdp?: string }): Promise<unknown>;
  setRemoteDescription(description: { type: 'offer' | 'answer'; sdp: string }): Promise<unknown>;
  addIceCandidate(candidate: IceCandidate): Promise<unknown>;
  readonly localDescription: { type?: string; sdp?: string } | null | undefined;
  readonly iceGatheringState: string;
  readonly connectionState: string;
  onicecandidate: ((event: { candidate?: CandidateLike | null }) => void) | null | undefined;
  ondatachannel: ((event: { channel: DataChannelLike }) => void) | null | undefined;
  onicegatheringstatechange?: ((event?: unknown) => void) | null | undefined;
  close(): void;
}

export interface CandidateLike {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface DataChannelLike {
  readonly readyState: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  binaryType?: string;
  onopen: ((event?: unknown) => void) | null | undefined;
  onclose: ((event?: unknown) => void) | null | undefined;
  onmessage: ((event: { data: unknown }) => void) | null | undefined;
  onbufferedamountlow?: ((event?: unknown) => void) | null | undefined;
  send(data: string | Uint8Array): void;
  close(): void;
}

/** Makes a peer connection for the given ICE servers (e.g. `(c) => new RTCPeerConnection(c)`). */
export type PeerConnectionFactory = (config: {
  iceServers: { urls: string[]; username?: string; credential?: string }[];
}) => PeerConnectionLike;

export function toIceCandidate(candidate: CandidateLike): IceCandidate | undefined {
  if (!candidate.candidate) return undefined;
  return {
    candidate: candidate.candidate,
    sdpMid: candidate.sdpMid ?? null,
    sdpMLineIndex: candidate.sdpMLineIndex ?? null,
    usernameFragment: candidate.usernameFragment ?? null,
  };
}

/** Resolves when ICE gathering completes, or after `timeoutMs` (candidates then trickle). */
export function gatheringComplete(pc: PeerConnectionLike, timeoutMs = 3000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const started = Date.now();
    const check = () => {
      if (pc.iceGatheringState === 'complete' || Date.now() - started > timeoutMs) resolve();
      else setTimeout(check, 20);
    };
    check();
  });
}

/**
 * Resolves when the channel is open; rejects if it closes first, after `timeoutMs`, or when
 * `signal` aborts (the caller gave up: polling stops, so nothing keeps a process alive).
 */
export function channelOpen(
  channel: DataChannelLike,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the peer-to-peer connection did not open')),
      timeoutMs,
    );
    const started = Date.now();
    // Property handlers are not fired by every implementation for a channel that is already open.
    const poll = () => {
      if (channel.readyState === 'open') {
        clearTimeout(timer);
        resolve();
      } else if (channel.readyState === 'closed' || signal?.aborted) {
        clearTimeout(timer);
        reject(new Error('the data channel closed before opening'));
      } else if (Date.now() - started < timeoutMs) setTimeout(poll, 20);
    };
    poll();
  });
}

/**
 * Waits until the channel's buffer drains below its low threshold (event if offered, else
 * polling); rejects when the channel closes or `signal` aborts.
 */
export function drained(channel: DataChannelLike, signal?: AbortSignal): Promise<void> {
  if (channel.bufferedAmount <= channel.bufferedAmountLowThreshold) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      if ('onbufferedamountlow' in channel) channel.onbufferedamountlow = null;
      if (error) reject(error);
      else resolve();
    };
    if ('onbufferedamountlow' in channel) channel.onbufferedamountlow = () => finish();
    const poll = () => {
      if (done) return;
      if (channel.readyState !== 'open' || signal?.aborted)
        finish(new Error('the data channel closed during the transfer'));
      else if (channel.bufferedAmount <= channel.bufferedAmountLowThreshold) finish();
      else setTimeout(poll, 5);
    };
    poll();
  });
}

/**
 * Waits for `promise`, but gives up when any of `stops` rejects or after `timeoutMs`. The timer is
 * cleared as soon as the wait is over, whichever way: a timer left behind would keep a finished
 * Node process alive until it fires.
 */
export function until<T>(
  promise: Promise<T>,
  stops: Promise<never>[],
  timeoutMs: number,
  message: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
  });
  return Promise.race([promise, ...stops, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Rejects when `channel` closes (the peer closed it, or its connection died). Takes over the
 * channel's `onclose`; `stop()` gives it back.
 */
export function channelClosed(channel: DataChannelLike, message: string) {
  let reject: (reason: Error) => void = () => {};
  const promise = new Promise<never>((_, rejectClosed) => {
    reject = rejectClosed;
  });
  promise.catch(() => {});
  channel.onclose = () => reject(new Error(message));
  if (channel.readyState === 'closed') reject(new Error(message));
  return { promise, stop: () => (channel.onclose = null) };
}
