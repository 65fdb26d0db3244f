import type {
  FileSink,
  PeerConnectionFactory,
  PeerConnectionLike,
  TransferProgress,
} from '@cryptweb/client';
import { describeError } from './errors.js';

/**
 * The browser's own WebRTC: no polyfill, no relay. The cast is only for the compiler: the SDK's
 * PeerConnectionLike types its event handlers as `(event?: unknown) => void`, which the DOM's
 * `(ev: Event) => any` handlers do not satisfy under strictFunctionTypes, though every member the
 * SDK uses is there at run time.
 */
export const createPeerConnection: PeerConnectionFactory = (config) =>
  new RTCPeerConnection(config) as unknown as PeerConnectionLike;

/** Calls `update` at most every `ms`, and always for the last chunk. */
export function throttle(update: (progress: TransferProgress) => void, ms = 100) {
  let last = 0;
  return (progress: TransferProgress) => {
    const now = performance.now();
    if (now - last >= ms || progress.bytes >= progress.total) {
      last = now;
      update(progress);
    }
  };
}

/** What a received file is saved as, whatever type its sender claimed. */
export const RECEIVED_FILE_TYPE = 'application/octet-stream';

/**
 * Keeps the received chunks in memory, then hands them over as one Blob of RECEIVED_FILE_TYPE:
 * never the sender's type, so a file claiming to be HTML or SVG is only ever saved, never
 * rendered (with script) in the app's origin.
 */
export function memorySink(done: (blob: Blob) => void): FileSink {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  return {
    write(chunk) {
      parts.push(
        chunk.buffer instanceof ArrayBuffer
          ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
          : chunk.slice(),
      );
    },
    close() {
      done(new Blob(parts, { type: RECEIVED_FILE_TYPE }));
    },
    abort() {
      parts.length = 0;
    },
  };
}

/** The SDK's plain errors, worded for the person sending. */
export function sendFailure(error: unknown, to: string): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('has no device online')) {
    return `${to} is not online right now. They need CryptWeb open and signed in to receive a file; try again when they are.`;
  }
  if (message.startsWith('no answer event')) {
    return `${to} did not accept the file in time.`;
  }
  if (message.includes('did not open') || message.includes('closed before opening')) {
    return `Could not open a direct connection to ${to}. A firewall may block peer-to-peer connections between you.`;
  }
  if (message.includes('went offline')) return `${message} during the transfer.`;
  return describeError(error).message;
}
