import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { AuthMode, CryptwebClient } from './client.js';
import {
  channelOpen,
  type DataChannelLike,
  drained,
  gatheringComplete,
  type PeerConnectionFactory,
  type PeerConnectionLike,
  toIceCandidate,
} from './rtc.js';
import type { Peer, SignalingConnection } from './signaling.js';

export type { DataChannelLike, PeerConnectionFactory, PeerConnectionLike } from './rtc.js';

/** 16 KiB: the largest message every WebRTC implementation delivers unfragmented. */
export const CHUNK_BYTES = 16 * 1024;
const HIGH_WATER = 1024 * 1024;

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

type Control =
  | { t: 'meta'; name: string; size: number; type: string }
  | { t: 'end'; sha256: string }
  | { t: 'result'; ok: boolean; sha256: string; bytes: number };

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

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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

/** Rejects when `peer` is reported offline (its device closed or lost its connection). */
function offlineWatch(connection: SignalingConnection, peer: () => string | undefined) {
  let off: () => void = () => {};
  const promise = new Promise<never>((_, reject) => {
    off = connection.on('peer-status', (event) => {
      if (!event.online && event.peer.peerId === peer()) reject(new Error(event.message));
    });
  });
  promise.catch(() => {});
  return { promise, stop: () => off() };
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
  try {
    const channel = pc.createDataChannel('cryptweb-file', { ordered: true });
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = HIGH_WATER / 4;
    const results = controlMessages(channel);
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc);
    const answerPromise = connection.next('answer', undefined, {
      timeoutMs: options.answerTimeoutMs ?? 60_000,
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
    await Promise.race([channelOpen(channel, 30_000), offline.promise]);

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
        await Promise.race([drained(channel), offline.promise]);
      channel.send(chunk);
      hash.update(chunk);
      bytes += chunk.byteLength;
      options.onProgress?.(progressOf(bytes, file.size, startedAt));
    }
    const digest = bytesToHex(hash.digest());
    channel.send(JSON.stringify({ t: 'end', sha256: digest } satisfies Control));
    const result = await Promise.race([
      withTimeout(results.result, 120_000, 'no confirmation from the receiver'),
      offline.promise,
    ]);
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
    channel.close();
    return { transfer, sha256: digest, bytes, timeElapsed, receiver: answer.from };
  } finally {
    ice.stop();
    offline.stop();
    pc.close();
  }
}

/** Parses the channel's JSON control messages; binary messages go to `onChunk`. */
function controlMessages(channel: DataChannelLike, onChunk?: (chunk: Uint8Array) => void) {
  let resolveMeta: (meta: FileMeta) => void = () => {};
  let resolveEnd: (sha: string) => void = () => {};
  let resolveResult: (result: Extract<Control, { t: 'result' }>) => void = () => {};
  const meta = new Promise<FileMeta>((resolve) => {
    resolveMeta = resolve;
  });
  const end = new Promise<string>((resolve) => {
    resolveEnd = resolve;
  });
  const result = new Promise<Extract<Control, { t: 'result' }>>((resolve) => {
    resolveResult = resolve;
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
    else resolveResult(message);
  };
  return { meta, end, result };
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
  try {
    const channel = await new Promise<DataChannelLike>((resolve, reject) => {
      pc.ondatachannel = (event) => resolve(event.channel);
      void (async () => {
        await pc.setRemoteDescription({ type: 'offer', sdp: offer.offer.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        await gatheringComplete(pc);
        await connection.answer({ peerId: from.peerId }, pc.localDescription?.sdp ?? '');
        await connection.markConnected(from.peerId);
      })().catch(reject);
    });
    channel.binaryType = 'arraybuffer';
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
    const meta = await Promise.race([
      withTimeout(control.meta, 30_000, 'the sender sent nothing'),
      offline.promise,
    ]);
    total = meta.size;
    startedAt = Date.now();
    const sink = await options.sink(meta, from);
    resolveSink(sink);
    const expected = await Promise.race([control.end, offline.promise]);
    await writes;
    const digest = bytesToHex(hash.digest());
    const ok = digest === expected && bytes === meta.size;
    channel.send(JSON.stringify({ t: 'result', ok, sha256: digest, bytes } satisfies Control));
    if (!ok) {
      const error = new Error('the received file does not match its SHA-256');
      await sink.abort(error);
      throw error;
    }
    await sink.close();
    return { from, meta, bytes, sha256: digest };
  } finally {
    ice.stop();
    offline.stop();
    // Let the result message leave before the connection closes.
    setTimeout(() => pc.close(), 1000);
  }
}
