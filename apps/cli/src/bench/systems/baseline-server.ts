/**
 * The baselines, each run as its own process by the bench (child_process.fork, argv[2] = kind):
 *   ws       a minimal relay written directly on `ws`: the practical ceiling of a relay in Node
 *   peerjs   the PeerJS server (npm `peer`), as people deploy it
 *   socketio a Socket.IO relay shaped like the original CryptWeb signaling (email → socket map)
 *   ceiling  node:http that verifies a JWT with jose and reads one row by primary key
 * It reports `{ listening: port }` over IPC when ready and exits when the runner goes away.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

type Kind = 'ws' | 'peerjs' | 'socketio' | 'ceiling';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function wsRelay(): Promise<number> {
  const clients = new Map<string, import('ws').WebSocket>();
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const id = new URL(req.url ?? '/', 'http://relay').searchParams.get('id');
    if (!id) return ws.close(1008, 'id required');
    clients.set(id, ws);
    ws.on('error', () => {});
    ws.on('close', () => {
      if (clients.get(id) === ws) clients.delete(id);
    });
    ws.on('message', (data) => {
      let message: { to?: unknown; type?: unknown; candidate?: unknown };
      try {
        message = JSON.parse(data.toString()) as typeof message;
      } catch {
        return;
      }
      if (typeof message.to !== 'string') return;
      clients
        .get(message.to)
        ?.send(JSON.stringify({ from: id, type: message.type, candidate: message.candidate }));
    });
    ws.send('ready');
  });
  return listen(server);
}

async function peerServer(): Promise<number> {
  const { PeerServer } = await import('peer');
  return new Promise((resolve) => {
    PeerServer(
      {
        port: 0,
        host: '127.0.0.1',
        path: '/',
        // Lifted so that neither limit is what the bench measures.
        concurrent_limit: 1_000_000,
        alive_timeout: 3_600_000,
      },
      (server) => resolve((server.address() as AddressInfo).port),
    );
  });
}

/** The original signaling: `register` {email,name}, then offer/answer/ice-candidate by email. */
async function socketIoRelay(): Promise<number> {
  const { Server } = await import('socket.io');
  const server = createServer();
  const io = new Server(server, { serveClient: false, maxHttpBufferSize: 1e6 });
  const emailToSocket = new Map<string, { socketId: string; name: string }>();
  const activePeers = new Map<string, string>();
  io.on('connection', (socket) => {
    socket.on('register', (data: { email?: string; name?: string }) => {
      if (!data?.email || !data.name) return;
      emailToSocket.set(data.email, { socketId: socket.id, name: data.name });
    });
    for (const event of ['offer', 'answer', 'ice-candidate'] as const) {
      const field = event === 'ice-candidate' ? 'candidate' : event;
      socket.on(event, (data: { from?: string; to?: string } & Record<string, unknown>) => {
        const target = data?.to ? emailToSocket.get(data.to) : undefined;
        if (target) io.to(target.socketId).emit(event, { [field]: data[field], from: data.from });
        else socket.emit('user-status', { isOnline: false, message: 'user offline' });
      });
    }
    socket.on('users:connected', (data: { initiator?: string; receiver?: string }) => {
      if (!data?.initiator || !data.receiver) return;
      activePeers.set(data.initiator, data.receiver);
      activePeers.set(data.receiver, data.initiator);
    });
    socket.on('disconnect', () => {
      const email = [...emailToSocket].find(([, v]) => v.socketId === socket.id)?.[0];
      if (!email) return;
      const name = emailToSocket.get(email)?.name ?? 'User';
      emailToSocket.delete(email);
      const peer = activePeers.get(email);
      if (!peer) return;
      const target = emailToSocket.get(peer);
      if (target) {
        io.to(target.socketId).emit('user-status', {
          isOnline: false,
          message: `${name} went offline`,
        });
      }
      activePeers.delete(email);
      activePeers.delete(peer);
    });
  });
  return listen(server);
}

/** The least a server must do to answer `auth.me`: verify the token, read the session row. */
async function ceiling(): Promise<number> {
  const { jwtVerify } = await import('jose');
  const { default: postgres } = await import('postgres');
  const url = process.env.BENCH_DATABASE_URL;
  const secret = process.env.BENCH_JWT_SECRET;
  if (!url || !secret) throw new Error('BENCH_DATABASE_URL and BENCH_JWT_SECRET are required');
  // Imported once, as any careful server would (jose would import a raw secret on every call).
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  // The same pool size as the CryptWeb server's.
  const sql = postgres(url, { max: 10, onnotice: () => {} });
  const server = createServer((req, res) => {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    jwtVerify(token, key, { algorithms: ['HS256'], issuer: 'cryptweb', audience: 'cryptweb' })
      .then(async ({ payload }) => {
        const rows =
          await sql`select id, user_id, device_id, expires_at from sessions where id = ${String(payload.sid)}`;
        const row = rows[0];
        res.writeHead(row ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(row ? { session: row } : { error: 'UNAUTHORIZED' }));
      })
      .catch(() => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"UNAUTHORIZED"}');
      });
  });
  return listen(server);
}

const starters: Record<Kind, () => Promise<number>> = {
  ws: wsRelay,
  peerjs: peerServer,
  socketio: socketIoRelay,
  ceiling,
};

const kind = process.argv[2] as Kind;
const start = starters[kind];
if (!start) {
  process.stderr.write(`unknown baseline ${kind}\n`);
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));
start().then(
  (port) => process.send?.({ listening: port }),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
