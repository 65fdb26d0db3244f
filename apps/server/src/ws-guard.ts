import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Logger } from './logger.js';

/** Unsent bytes a socket may hold before it counts as a slow consumer and is cut off. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/** Sockets holding frames written during this turn of the event loop, flushed together. */
const corked = new Set<Socket>();
let flushScheduled = false;

function flushCorked() {
  flushScheduled = false;
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/**
 * Frames sent to one socket within one turn of the event loop leave in one write: the socket is
 * corked at the first send and uncorked once the turn's I/O has been handled (setImmediate). Under
 * load a relay writes several frames per socket per turn, and each write is a system call; when
 * idle, a frame waits only for the end of the current turn.
 */
function coalesce(socket: Socket | undefined) {
  if (!socket || corked.has(socket) || socket.destroyed) return;
  socket.cork();
  corked.add(socket);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushCorked);
  }
}

/**
 * The tRPC ws adapter sends without backpressure: a client that stops reading would make the
 * server buffer without bound. After every send, a socket over the limit is terminated (its
 * subscriptions end and its peers go offline). Sends are coalesced per turn (see `coalesce`).
 */
export function guardSlowConsumer(ws: WebSocket, logger: Logger): void {
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  // ws keeps its net.Socket here; it is not part of the typed API.
  const raw = (ws as unknown as { _socket?: Socket })._socket;
  ws.send = ((...args: unknown[]) => {
    if (ws.readyState !== ws.OPEN) return;
    coalesce(raw);
    send(...args);
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      logger.warn({ bufferedBytes: ws.bufferedAmount }, 'closing a slow WebSocket consumer');
      ws.terminate();
    }
  }) as WebSocket['send'];
}
