import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import type { DestinationStream } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { createMemoryBus } from './bus/memory.js';
import { createPostgresBus } from './bus/postgres.js';
import { noteRemoteAddress } from './client-ip.js';
import { assignRequestId, createContextFactory, type Deps, type SocketContext } from './context.js';
import { type DatabaseHandle, openDatabase } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import type { Env } from './env.js';
import { DomainError } from './errors.js';
import { applyCors, declaredBodyTooLarge, MAX_BODY_BYTES, sendJson, sendTooLarge } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { startMailWorker } from './mail/outbox.js';
import { createTransport } from './mail/transports.js';
import { originAllowed } from './origins.js';
import { createRestHandler, REST_PREFIX } from './rest.js';
import { appRouter } from './routers/_app.js';
import { bootstrapAdmins } from './services/admin-roles.js';
import { healthReport } from './services/health.js';
import { loadKeys } from './services/secrets.js';
import { startSweeper } from './services/sweeper.js';
import { createFastRelay } from './signaling/fast-relay.js';
import { SignalingHub } from './signaling/hub.js';
import { startInstance } from './signaling/instances.js';
import { APP_PREFIX, serveApp } from './static.js';
import { guardSlowConsumer } from './ws-guard.js';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

export interface AppOptions {
  env: Env;
  /** Where JSON log lines go (stdout by default); tests capture them. */
  logDestination?: DestinationStream;
  logger?: Logger;
}

export interface App {
  deps: Deps;
  server: Server;
  /** Resolves once listening; the URL uses the bound port (PORT=0 picks a free one). */
  listen(): Promise<string>;
  /** Graceful stop: refuse new work, finish in flight, close sockets and the database. */
  stop(): Promise<void>;
}

/** Opens and migrates the database, then wires HTTP and WebSocket onto one node:http server. */
export async function createApp(options: AppOptions): Promise<App> {
  const { env } = options;
  const logger = options.logger ?? createLogger(env, options.logDestination);
  const database: DatabaseHandle = await openDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
  });
  try {
    await migrateDatabase(database, env.DATABASE_URL);
    // ADMIN_EMAILS (SPEC §10): listed accounts verified before this start become admins now.
    await bootstrapAdmins(database.db, env);
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }

  const mail = startMailWorker({ db: database.db, transport: createTransport(env), logger });
  const sweeper = startSweeper({ db: database.db, env, logger });
  const instanceId = randomUUID();
  const bus = database.postgres
    ? await createPostgresBus({ client: database.postgres, db: database.db, instanceId, logger })
    : createMemoryBus();
  const hub = new SignalingHub({ db: database.db, env, bus, logger, instanceId });
  const instance = await startInstance({ db: database.db, env, bus, hub, logger, instanceId });
  const deps: Deps = {
    env,
    db: database.db,
    driver: database.driver,
    logger,
    version,
    startedAt: Date.now(),
    keys: await loadKeys(env),
    mail,
    hub,
    sessionsRevoked: (sessionIds) => hub.sessionsRevoked(sessionIds),
  };
  const socketContexts = new WeakMap<WebSocket, SocketContext>();
  const createContext = createContextFactory(deps, socketContexts);
  const fastRelay = createFastRelay(hub, socketContexts);

  const onError = ({
    error,
    path,
  }: {
    error: { code: string; cause?: unknown };
    path?: string;
  }) => {
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      logger.error({ err: error, path }, 'procedure failed');
    } else if (error.code === 'SERVICE_UNAVAILABLE') {
      logger.warn({ path, err: error.cause }, 'database unavailable');
    }
  };

  /** Rate-limited answers carry `Retry-After` (seconds), on tRPC and REST alike. */
  const retryAfterHeader = ({ errors }: { errors: { cause?: unknown }[] }) => {
    const retryAfter = errors
      .map((error) =>
        error.cause instanceof DomainError ? error.cause.retryAfterSeconds : undefined,
      )
      .find((value) => value !== undefined);
    return retryAfter === undefined ? {} : { headers: { 'retry-after': String(retryAfter) } };
  };

  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize: env.MAX_BATCH_SIZE,
    createContext,
    onError,
    responseMeta: retryAfterHeader,
  });

  const restHandler = createRestHandler({
    env,
    version,
    createContext,
    onError,
    responseMeta: retryAfterHeader,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (applyCors(req, res, env.CORS_ORIGINS)) return;
    if (declaredBodyTooLarge(req)) {
      req.resume();
      sendTooLarge(res);
      return;
    }
    if (url.pathname === '/trpc' || url.pathname.startsWith('/trpc/')) {
      trpcHandler(req, res);
      return;
    }
    if (url.pathname.startsWith(`${REST_PREFIX}/`) || url.pathname === '/api/openapi.json') {
      await restHandler(req, res, url.pathname);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, {
        error: { code: 'METHOD_NOT_SUPPORTED', message: 'Method not allowed' },
      });
      return;
    }
    if (url.pathname === APP_PREFIX || url.pathname.startsWith(`${APP_PREFIX}/`)) {
      await serveApp(req, res, url.pathname, { appUrl: env.APP_URL });
      return;
    }
    switch (url.pathname) {
      case '/':
        sendJson(res, 200, { name: 'cryptweb', version });
        return;
      case '/reset-password':
        // Reset links (APP_URL/reset-password?token=…) open the web app's reset page.
        res.writeHead(302, { location: `${APP_PREFIX}/reset-password${url.search}` });
        res.end();
        return;
      case '/healthz':
        sendJson(res, 200, { status: 'up' });
        return;
      case '/readyz': {
        const report = await healthReport(deps);
        sendJson(res, report.database.status === 'healthy' ? 200 : 503, report);
        return;
      }
      default:
        sendJson(res, 404, {
          error: { code: 'NOT_FOUND', message: `No route for ${url.pathname}` },
        });
    }
  };

  // Request lines carry only the fields below, none of them secret: redaction (about 25 µs a
  // line) is skipped for them.
  const requestLog = logger.child({}, { redact: { paths: [], censor: '[redacted]' } });
  const server = createServer((req, res) => {
    const started = performance.now();
    noteRemoteAddress(req);
    const requestId = assignRequestId(req);
    res.setHeader('x-request-id', requestId);
    res.once('finish', () => {
      requestLog.info(
        {
          requestId,
          method: req.method,
          path: (req.url ?? '/').split('?')[0],
          status: res.statusCode,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
        },
        'request',
      );
    });
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error, requestId }, 'request failed');
      if (!res.headersSent)
        sendJson(res, 500, {
          error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' },
        });
      else res.destroy();
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  wss.on('connection', (ws) => {
    guardSlowConsumer(ws, logger);
    fastRelay.attach(ws);
  });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext,
    onError,
    maxBatchSize: env.MAX_BATCH_SIZE,
    keepAlive: { enabled: true, pingMs: env.WS_PING_INTERVAL_MS, pongWaitMs: 5000 },
    experimental_encoder: fastRelay.encoder,
  });
  server.on('upgrade', (req, socket, head) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname !== '/trpc' && pathname !== '/trpc/') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    // Browsers send cookies with an upgrade from any page and the same-origin policy does not
    // apply to it: a foreign page would act with a visitor's cookies (cross-site WebSocket
    // hijacking). Also what a browser app served from an origin missing in APP_URL/CORS_ORIGINS meets.
    if (!originAllowed(env, req.headers.origin)) {
      const origin = String(req.headers.origin).slice(0, 200);
      logger.warn({ origin }, 'WebSocket upgrade refused: origin not allowed');
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    noteRemoteAddress(req);
    assignRequestId(req);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Tell tRPC clients to reconnect (to another instance), then close the sockets.
      wsHandler.broadcastReconnectNotification();
      for (const client of wss.clients) client.close(1012, 'server restarting');
      wss.close();
      const grace = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
        for (const client of wss.clients) client.terminate();
      }, 5000);
      await closed;
      clearTimeout(grace);
      sweeper.stop();
      await instance
        .stop()
        .catch((error: unknown) => logger.warn({ err: error }, 'instance stop failed'));
      await bus.close();
      await mail.stop();
      await database
        .close()
        .catch((error: unknown) => logger.warn({ err: error }, 'database close failed'));
      logger.info('stopped');
    })();
    return stopping;
  };

  return {
    deps,
    server,
    stop,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(env.PORT, env.HOST, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          const host = env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST;
          resolve(`http://${host}:${port}`);
        });
      }),
  };
}
