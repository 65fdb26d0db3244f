import type { WebSocket } from 'ws';
import type { Logger } from './logger.js';

/** Unsent bytes a socket may hold before it counts as a slow consumer and is cut off. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * The tRPC ws adapter sends without backpressure: a client that stops reading would make the
 * server buffer without bound. After every send, a socket over the limit is terminated (its
 * subscriptions end and its peers go offline).
 */
export function guardSlowConsumer(ws: WebSocket, logger: Logger): void {
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  ws.send = ((...args: unknown[]) => {
    if (ws.readyState !== ws.OPEN) return;
    send(...args);
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      logger.warn({ bufferedBytes: ws.bufferedAmount }, 'closing a slow WebSocket consumer');
      ws.terminate();
    }
  }) as WebSocket['send'];
}
