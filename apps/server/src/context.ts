import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import type { WebSocket } from 'ws';
import { createClientIp } from './client-ip.js';
import { cookieCredential } from './csrf.js';
import type { Database, Driver } from './db/client.js';
import type { Env } from './env.js';
import type { Logger } from './logger.js';
import type { MailWorker } from './mail/outbox.js';
import { authenticate } from './services/auth.js';
import type { Keys } from './services/secrets.js';
import type { AuthSession } from './services/sessions.js';
import type { SignalingHub } from './signaling/hub.js';

/** Long-lived things every request can reach; built once per server instance. */
export interface Deps {
  env: Env;
  db: Database;
  driver: Driver;
  logger: Logger;
  version: string;
  startedAt: number;
  keys: Keys;
  mail: MailWorker;
  hub: SignalingHub;
  sessionsRevoked(sessionIds: string[]): Promise<void>;
}

export interface RequestInfo {
  requestId: string;
  transport: 'http' | 'ws';
  /** The HTTP method (of the upgrade, on a socket). */
  method: string;
  ip: string | undefined;
  userAgent: string | undefined;
  /** Only over HTTP: lets auth procedures set and clear cookies. */
  res: ServerResponse | undefined;
  headers: IncomingMessage['headers'];
  connectionParams: Record<string, string | undefined> | null;
}

export type Context = Deps & {
  request: RequestInfo;
  /** Peers opened on this WebSocket connection (empty over HTTP): the sender of its signaling calls. */
  connectionPeers: Set<string>;
  /** The WebSocket this context belongs to; undefined over HTTP. */
  socket: WebSocket | undefined;
  /** The caller's live session, or UNAUTHENTICATED. Checked against the database on every call. */
  authenticate(): Promise<AuthSession>;
};

/** A WebSocket's context, as the signaling fast path sees it (see signaling/fast-relay.ts). */
export interface SocketContext {
  ctx: Context;
  /**
   * The session this socket already proved, while its token is unexpired and the session is not
   * known to have ended (bus events, and database re-checks every SESSION_RECHECK_INTERVAL_MS).
   */
  provenSession(): AuthSession | undefined;
}

/**
 * Bearer header, then the socket's connectionParams, then the `accessToken` cookie (only for a
 * request another site could not have made: see csrf.ts).
 */
function accessToken(env: Env, request: RequestInfo): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.toLowerCase().startsWith('bearer ')) {
    return header.slice(7).trim() || undefined;
  }
  const fromParams = request.connectionParams?.accessToken;
  if (fromParams) return fromParams;
  return cookieCredential({ env, request }, 'accessToken');
}

const requestIds = new WeakMap<IncomingMessage, string>();

/** Takes a well-formed caller-supplied request id, or makes one; remembered for the request log. */
export function assignRequestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
  requestIds.set(req, id);
  return id;
}

/** `sockets` receives every WebSocket's context as it is made. */
export function createContextFactory(deps: Deps, sockets?: WeakMap<WebSocket, SocketContext>) {
  const clientIp = createClientIp(deps.env.TRUST_PROXY);
  return (opts: CreateHTTPContextOptions | CreateWSSContextFnOptions): Context => {
    const isWs = !('setHeader' in opts.res);
    const userAgent = opts.req.headers['user-agent'];
    const request: RequestInfo = {
      requestId: requestIds.get(opts.req) ?? randomUUID(),
      transport: isWs ? 'ws' : 'http',
      method: opts.req.method ?? 'GET',
      ip: clientIp(opts.req),
      userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : undefined,
      res: isWs ? undefined : (opts.res as ServerResponse),
      headers: opts.req.headers,
      // Only a socket has connection params: over HTTP they would be a token in a URL (logs,
      // history), which no caller needs.
      connectionParams: isWs ? opts.info.connectionParams : null,
    };
    // Over HTTP one batch shares a context, so one check serves it. A socket checks its token and
    // session once, then keeps them while the token is unexpired and the session is not known to
    // have ended: revocations reach every instance's hub over the bus, and the hub re-checks the
    // sessions sockets hold against the database periodically and after a bus reconnect, in case
    // a notification was lost (signaling/instances.ts).
    let cached: Promise<AuthSession> | undefined;
    let socketAuth: { token: string; session: AuthSession } | undefined;
    let releaseHold: (() => void) | undefined;
    const socket = isWs ? (opts.res as WebSocket) : undefined;
    const provenSession = () => {
      const known = socketAuth;
      if (
        known &&
        known.session.tokenExpiresAt > Date.now() / 1000 &&
        !deps.hub.sessions.hasEnded(known.session.sessionId)
      ) {
        return known.session;
      }
      return undefined;
    };
    const ctx: Context = {
      ...deps,
      request,
      connectionPeers: new Set(),
      socket,
      authenticate() {
        if (isWs) {
          // A socket's token (header, connectionParams or cookie) is fixed for its lifetime.
          const token = accessToken(deps.env, request);
          const known = provenSession();
          if (known && socketAuth?.token === token) {
            deps.hub.sessions.noteUse(known.sessionId);
            return Promise.resolve(known);
          }
          return authenticate(deps, token).then((session) => {
            // A socket keeps the proof for its lifetime, not the rows read for it: they would go
            // stale, and held by every open subscription they would cost memory per connection.
            const proof = { ...session, rows: undefined };
            // Held until the socket closes; one that closed meanwhile would never let go.
            if (token && socket && socket.readyState === socket.OPEN) {
              socketAuth = { token, session: proof };
              releaseHold?.();
              releaseHold = deps.hub.sessions.hold(proof.sessionId);
            }
            return proof;
          });
        }
        cached ??= (async () => authenticate(deps, accessToken(deps.env, request)))();
        return cached;
      },
    };
    if (socket) {
      sockets?.set(socket, { ctx, provenSession });
      socket.once('close', () => {
        releaseHold?.();
        releaseHold = undefined;
      });
    }
    return ctx;
  };
}
