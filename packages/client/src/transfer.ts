import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { AuthMode, CryptwebClient } from './client.js';
import {
  channelClosed,
  channelOpen,
  type DataChannelLike,
  drained,
  gatheringComplete,
  type PeerConnectionFactory,
  type PeerConnectionLike,
  toIceCandidate,
  until,
} from './rtc.js';
import type { Peer, SignalingConnection } from './signaling.js';

export type { DataChannelLike, PeerConnectionFactory, PeerConnectionLike } from './rtc.js';

/** 16 KiB: the largest message every WebRTC implementation delivers unfragmented. */
export const CHUNK_BYTES = 16 * 1024;
const HIGH_WATER = 1024 * 1024;
/** How long a receiver waits for the sender to acknowledge its result before it closes anyway. */
const ACK_WAIT_MS = 10_000;
/**
 * A peer's offline notice comes over signaling and can overtake that peer's last message still in
 * flight on the data channel: a result arriving within this grace still counts.
 */
const OFFLINE_GRACE_MS = 1000;

/** A file to send, read in chunks (a browser `File`, or a Node stream via `fromChunks`). */
export interface FileSource {
  name: string;
  size: number;
  type: string;
  chunks(): AsyncIterable<Uint8Array>;
}

/** Where received bytes go (memory, a download, a file on disk). */
export interface FileSink {
  write(chunk: Uint8Array): void | Promise<void>;
  close(): void | Promise<void>;
  abort(reason: Error): void | Promise<void>;
}

export interface FileMeta {
  name: string;
  size: number;
  type: string;
}

export interface TransferProgress {
  bytes: number;
  total: number;
  /** Bytes per second since the channel opened. */
  rate: number;
  /** Seconds left at the current rate (Infinity until known). */
  etaSeconds: number;
}

/**
 * The end of a transfer is one handshake: the sender's `end` (its SHA-256), the receiver's
 * `result`, the sender's `ack`; then both close. The receiver leaves only after the ack (or a
 * bounded wait), so its going offline can never beat the result it sent.
 */
type Control =
  | { t: 'meta'; name: string; size: number; type: string }
  | { t: 'end'; sha256: string }
  | { t: 'result'; ok: boolean; sha256: string; bytes: number }
  | { t: 'ack' };

/** A browser `File`/`Blob` as a source, read slice by slice. */
export function fileSourceFromBlob(file: Blob & { name?: string }): FileSource {
  return {
    name: file.name ?? 'file',
    size: file.size,
    type: file.type || 'application/octet-stream',
    async *chunks() {
      for (let offset = 0; offset < file.size; offset += CHUNK_BYTES) {
        yield new Uint8Array(await file.slice(offset, offset + CHUNK_BYTES).arrayBuffer());
      }
    },
  };
}

function progressOf(bytes: number, total: number, startedAt: number): TransferProgress {
  const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
  const rate = bytes / seconds;
  return {
    bytes,
    total,
    rate,
    etaSeconds: rate > 0 ? (total - bytes) / rate : Number.POSITIVE_INFINITY,
  };
}

/** Splits arbitrary chunks into pieces of at most CHUNK_BYTES. */
async function* sized(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    for (let offset = 0; offset < chunk.byteLength; offset += CHUNK_BYTES) {
      yield chunk.subarray(offset, offset + CHUNK_BYTES);
    }
  }
}

/** Relays ICE both ways between `pc` and one remote peer once its id is known. */
function trickle(
  pc: PeerConnectionLike,
  connection: SignalingConnection,
  remote: () => string | undefined,
) {
  const pending: ReturnType<typeof toIceCandidate>[] = [];
  pc.onicecandidate = (event) => {
    const candidate = event.candidate ? toIceCandidate(event.candidate) : undefined;
    if (!candidate) return;
    const peerId = remote();
    if (peerId) void connection.ice({ peerId }, candidate).catch(() => {});
    else pending.push(candidate);
  };
  const off = connection.on('ice-candidate', (event) => {
    if (event.from.peerId === remote()) void pc.addIceCandidate(event.candidate).catch(() => {});
  });
  return {
    flush(peerId: string) {
      for (const candidate of pending.splice(0)) {
        if (candidate) void connection.ice({ peerId }, candidate).catch(() => {});
      }
    },
    stop: off,
  };
}

/**
 * Rejects `OFFLINE_GRACE_MS` after `peer` is reported offline (its device closed or lost its
 * connection). `stop()` once the peer's part is done: leaving is then no failure.
 */
function offlineWatch(connection: SignalingConnection, peer: () => string | undefined) {
  let off: () => void = () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    off = connection.on('peer-status', (event) => {
      if (event.online || event.peer.peerId !== peer()) return;
      off();
      timer = setTimeout(() => reject(new Error(event.message)), OFFLINE_GRACE_MS);
    });
  });
  promise.catch(() => {});
  return {
    promise,
    stop: () => {
      off();
      clearTimeout(timer);
    },
  };
}

/** Closes what a transfer opened, on every path: timers and polling too, or a process lingers. */
function teardown(parts: {
  pc: PeerConnectionLike;
  channel?: DataChannelLike | undefined;
  stops: (() => void)[];
  ended: AbortController;
}) {
  for (const stop of parts.stops) stop();
  parts.ended.abort();
  try {
    parts.channel?.close();
  } catch {
    // Already closed with its connection.
  }
  parts.pc.close();
}

export interface SendFileOptions {
  client: CryptwebClient<AuthMode>;
  /** The receiver's email: every open device of theirs gets the offer; the first to answer wins. */
  to: string;
  file: FileSource;
  createPeerConnection: PeerConnectionFactory;
  onProgress?: (progress: TransferProgress) => void;
  /** How long to wait for the receiver to answer (default 60 s). */
  answerTimeoutMs?: number;
}

/**
 * Sends a file over a WebRTC data channel signaled through CryptWeb: chunks with backpressure,
 * progress, a SHA-256 the receiver verifies, then `transfers.complete`.
 */
export async function sendFile(options: SendFileOptions) {
  const { client, file } = options;
  const connection = await client.signaling.connect();
  const { iceServers } = await client.signaling.iceServers.query();
  const pc = options.createPeerConnection({ iceServers });
  let remote: string | undefined;
  const ice = trickle(pc, connection, () => remote);
  const offline = offlineWatch(connection, () => remote);
  const ended = new AbortController();
  const stops = [ice.stop, offline.stop];
  let channel: DataChannelLike | undefined;
  try {
    channel = pc.createDataChannel('cryptweb-file', { ordered: true });
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = HIGH_WATER / 4;
    const results = controlMessages(channel);
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc);
    const answerPromise = connection.next('answer', undefined, {
      timeoutMs: options.answerTimeoutMs ?? 60_000,
      signal: ended.signal,
    });
    // Listening before offering (an answer can beat the offer's own response); if the offer
    // goes nowhere, this wait is abandoned and must not surface as an unhandled rejection.
    answerPromise.catch(() => {});
    const sent = await connection.offer({ email: options.to }, pc.localDescription?.sdp ?? '');
    if (!sent.delivered) throw new Error(`${options.to} has no device online`);
    const answer = await answerPromise;
    remote = answer.from.peerId;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.answer.sdp });
    ice.flush(remote);
    await connection.markConnected(remote);
    await Promise.race([channelOpen(channel, 30_000, ended.signal), offline.promise]);
    const closed = channelClosed(channel, `the connection to ${answer.from.name} closed`);
    stops.push(closed.stop);

    const startedAt = Date.now();
    const hash = sha256.create();
    let bytes = 0;
    channel.send(
      JSON.stringify({
        t: 'meta',
        name: file.name,
        size: file.size,
        type: file.type,
      } satisfies Control),
    );
    for await (const chunk of sized(file.chunks())) {
      if (channel.bufferedAmount > HIGH_WATER)
        await Promise.race([drained(channel, ended.signal), offline.promise]);
      channel.send(chunk);
      hash.update(chunk);
      bytes += chunk.byteLength;
      options.onProgress?.(progressOf(bytes, file.size, startedAt));
    }
    const digest = bytesToHex(hash.digest());
    channel.send(JSON.stringify({ t: 'end', sha256: digest } satisfies Control));
    const result = await until(
      results.result,
      [offline.promise, closed.promise],
      120_000,
      'no confirmation from the receiver',
    );
    // The receiver's part is done: from here on its leaving is expected, not a failure.
    offline.stop();
    closed.stop();
    // Tells the receiver its result arrived, so it may close and leave.
    channel.send(JSON.stringify({ t: 'ack' } satisfies Control));
    if (!result.ok || result.sha256 !== digest) {
      throw new Error('the receiver got different bytes (SHA-256 mismatch)');
    }
    const timeElapsed = Date.now() - startedAt;
    const transfer = await client.transfers.complete.mutate({
      receiverEmail: options.to,
      fileName: file.name,
      fileSize: bytes,
      fileType: file.type.slice(0, 255),
      timeElapsed,
      transferType: 'WebRTC',
    });
    return { transfer, sha256: digest, bytes, timeElapsed, receiver: answer.from };
  } finally {
    teardown({ pc, channel, stops, ended });
  }
}

/** Parses the channel's JSON control messages; binary messages go to `onChunk`. */
function controlMessages(channel: DataChannelLike, onChunk?: (chunk: Uint8Array) => void) {
  let resolveMeta: (meta: FileMeta) => void = () => {};
  let resolveEnd: (sha: string) => void = () => {};
  let resolveResult: (result: Extract<Control, { t: 'result' }>) => void = () => {};
  let resolveAck: () => void = () => {};
  const meta = new Promise<FileMeta>((resolve) => {
    resolveMeta = resolve;
  });
  const end = new Promise<string>((resolve) => {
    resolveEnd = resolve;
  });
  const result = new Promise<Extract<Control, { t: 'result' }>>((resolve) => {
    resolveResult = resolve;
  });
  const ack = new Promise<void>((resolve) => {
    resolveAck = resolve;
  });
  channel.onmessage = (event) => {
    const data = event.data;
    if (typeof data !== 'string') {
      const chunk =
        data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(data as ArrayBufferLike);
      onChunk?.(data instanceof Uint8Array ? data : chunk);
      return;
    }
    const message = JSON.parse(data) as Control;
    if (message.t === 'meta')
      resolveMeta({ name: message.name, size: message.size, type: message.type });
    else if (message.t === 'end') resolveEnd(message.sha256);
    else if (message.t === 'result') resolveResult(message);
    else if (message.t === 'ack') resolveAck();
    // Anything else is a later protocol's message this version does not know: ignored.
  };
  return { meta, end, result, ack };
}

export interface ReceiveFileOptions {
  client: CryptwebClient<AuthMode>;
  createPeerConnection: PeerConnectionFactory;
  /** Where the bytes go, once the file's name, size and type are known. */
  sink: (meta: FileMeta, from: Peer) => FileSink | Promise<FileSink>;
  onProgress?: (progress: TransferProgress) => void;
  /** Called with each incoming offer: return false to ignore it (default: accept). */
  accept?: (from: Peer) => boolean | Promise<boolean>;
  signal?: AbortSignal;
}

/** Waits for an offer, answers it, receives one file and checks its SHA-256. */
export async function receiveFile(options: ReceiveFileOptions) {
  const { client } = options;
  const connection = await client.signaling.connect();
  let offer = await connection.next(
    'offer',
    undefined,
    options.signal ? { signal: options.signal } : {},
  );
  while (options.accept && !(await options.accept(offer.from))) {
    offer = await connection.next(
      'offer',
      undefined,
      options.signal ? { signal: options.signal } : {},
    );
  }
  const from = offer.from;
  const { iceServers } = await client.signaling.iceServers.query();
  const pc = options.createPeerConnection({ iceServers });
  const ice = trickle(pc, connection, () => from.peerId);
  const offline = offlineWatch(connection, () => from.peerId);
  const ended = new AbortController();
  const stops = [ice.stop, offline.stop];
  let channel: DataChannelLike | undefined;
  try {
    const opened = new Promise<DataChannelLike>((resolve, reject) => {
      pc.ondatachannel = (event) => resolve(event.channel);
      void (async () => {
        await pc.setRemoteDescription({ type: 'offer', sdp: offer.offer.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        await gatheringComplete(pc);
        await connection.answer({ peerId: from.peerId }, pc.localDescription?.sdp ?? '');
        await connection.markConnected(from.peerId);
      })().catch(reject);
    });
    channel = await until(
      opened,
      [offline.promise],
      30_000,
      'the peer-to-peer connection did not open',
    );
    channel.binaryType = 'arraybuffer';
    const closed = channelClosed(channel, `the connection to ${from.name} closed`);
    stops.push(closed.stop);
    const hash = sha256.create();
    let bytes = 0;
    let startedAt = Date.now();
    // Chunks may arrive while the sink is still being made: they queue behind it, in order.
    let resolveSink: (sink: FileSink) => void = () => {};
    const sinkReady = new Promise<FileSink>((resolve) => {
      resolveSink = resolve;
    });
    let writes: Promise<void> = Promise.resolve();
    let total = 0;
    const control = controlMessages(channel, (chunk) => {
      hash.update(chunk);
      bytes += chunk.byteLength;
      options.onProgress?.(progressOf(bytes, total, startedAt));
      writes = writes.then(async () => {
        await (await sinkReady).write(chunk);
      });
    });
    const meta = await until(
      control.meta,
      [offline.promise, closed.promise],
      30_000,
      'the sender sent nothing',
    );
    total = meta.size;
    startedAt = Date.now();
    const sink = await options.sink(meta, from);
    resolveSink(sink);
    // No deadline for the bytes (a large file takes its time): the sender leaving or the
    // connection closing ends the wait.
    const expected = await Promise.race([control.end, offline.promise, closed.promise]);
    await writes;
    const digest = bytesToHex(hash.digest());
    const ok = digest === expected && bytes === meta.size;
    channel.send(JSON.stringify({ t: 'result', ok, sha256: digest, bytes } satisfies Control));
    if (ok) await sink.close();
    else await sink.abort(new Error('the received file does not match its SHA-256'));
    // Closing before the sender has the result could lose it in flight, and the sender would
    // hear only that we went offline. Our own outcome is settled: a sender that never
    // acknowledges (gone, or an older version) only delays the close.
    await until(control.ack, [offline.promise, closed.promise], ACK_WAIT_MS, 'no ack').catch(
      () => {},
    );
    if (!ok) throw new Error('the received file does not match its SHA-256');
    return { from, meta, bytes, sha256: digest };
  } finally {
    teardown({ pc, channel, stops, ended });
  }
}
