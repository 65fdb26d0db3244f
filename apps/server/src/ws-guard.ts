import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Env } from './env.js';
import type { Logger } from './logger.js';

/** An origin as browsers send it (`scheme://host[:port]`), or undefined for what is not a URL. */
function originOf(value: string): string | undefined {
  try {
    const { origin } = new URL(value);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Browsers send cookies with a WebSocket upgrade from any page and the same-origin policy does
 * not apply to it, so a foreign page could act with a signed-in visitor's cookies (cross-site
 * WebSocket hijacking). An upgrade is accepted without `Origin` (CLI, servers: no ambient
 * cookies) or from APP_URL's origin or one of CORS_ORIGINS; anything else, `null` included, is not.
 */
export function createUpgradeOriginCheck(
  env: Pick<Env, 'APP_URL' | 'CORS_ORIGINS'>,
): (req: IncomingMessage) => boolean {
  const allowed = new Set([env.APP_URL, ...env.CORS_ORIGINS].flatMap((url) => originOf(url) ?? []));
  // Browsers send the origin serialized (lower-case scheme and host, no default port): compared
  // as sent, nothing is normalized into a match.
  return (req) => req.headers.origin === undefined || allowed.has(req.headers.origin);
}

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
