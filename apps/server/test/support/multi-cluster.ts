import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  type TRPCClient,
  wsLink,
} from '@trpc/client';
import superjson from 'superjson';
import WebSocket from 'ws';
import type { AppRouter } from '../../src/routers/_app.js';
import type { SignalingEvent } from '../../src/signaling/events.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { roomyLimits } from './limits.js';
import type { Mail } from './mailbox.js';
import { type ServerProcess, spawnServer } from './process.js';
import { uniqueEmail } from './server.js';
import type { Device } from './signaling.js';
import { sessionOf } from './signed-in.js';

/** Every request comes from 127.0.0.1: per-IP limits must not trip over the whole file. */
const RATE_LIMITS = roomyLimits();
const JWT_SECRET = 'multi-instance-secret-of-at-least-32-bytes';
const PASSWORD = 'correct horse battery staple';

export interface Instance {
  process: ServerProcess;
  url: string;
}

/** Server processes sharing one fresh PostgreSQL database, one JWT secret and one mail file. */
export interface Cluster {
  database: TestDatabase;
  instances: Instance[];
  mailFile: string;
  stop(): Promise<void>;
}

function alive(instance: ServerProcess): boolean {
  return instance.child.exitCode === null && instance.child.signalCode === null;
}

async function stopProcess(instance: ServerProcess): Promise<void> {
  if (!alive(instance)) return;
  instance.child.kill('SIGTERM');
  const deadline = setTimeout(() => instance.child.kill('SIGKILL'), 12_000);
  await instance.exited;
  clearTimeout(deadline);
}

/** Spawns `count` real server processes (`src/main.ts`) on a new PostgreSQL database. */
export async function startCluster(count: number): Promise<Cluster> {
  const database = await createTestDatabase();
  const root = await mkdtemp(path.join(tmpdir(), 'cryptweb-multi-'));
  const mailFile = path.join(root, 'mail.jsonl');
  const processes: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map(stopProcess));
    await database.drop();
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      processes.push(
        spawnServer({
          PORT: '0',
          DATABASE_URL: database.url,
          DATA_DIR: path.join(root, `instance-${i + 1}`),
          BCRYPT_COST: '4',
          JWT_SECRET,
          MAIL_TRANSPORT: 'file',
          MAIL_FILE: mailFile,
          RATE_LIMITS,
        }),
      );
    }
    const instances = await Promise.all(
      processes.map(async (process) => ({ process, url: await process.ready })),
    );
    return { database, instances, mailFile, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A typed HTTP client for one instance, optionally with a bearer token. */
export function clientAt(url: string, accessToken?: string): TRPCClient<AppRouter> {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${url}/trpc`,
        transformer: superjson,
        headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
      }),
    ],
  });
}

async function until(check: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits for a mail of a kind to an address in the shared mail file, whichever worker sent it. */
export async function waitForMailIn(
  file: string,
  to: string,
  kind: Mail['kind'],
  timeoutMs = 15_000,
): Promise<Mail> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const found = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Mail)
      .find((mail) => mail.to === to.toLowerCase() && mail.kind === kind);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${kind} mail to ${to} within ${timeoutMs} ms`);
}

export interface ClusterUser {
  email: string;
  name: string;
  password: string;
  userId: string;
  sessionId: string;
  accessToken: string;
}

/** Signs up and verifies through `url` (the code comes from the shared mail file). */
export async function verifiedAccountAt(cluster: Cluster, url: string, name: string) {
  const email = uniqueEmail(name.toLowerCase().replace(/\W/g, ''));
  const anon = clientAt(url);
  await anon.auth.signUp.mutate({ name, email, password: PASSWORD });
  const mail = await waitForMailIn(cluster.mailFile, email, 'verify-email');
  await anon.auth.verifyEmail.mutate({ email, code: mail.code ?? '' });
  return { email, name, password: PASSWORD };
}

/** Signs an account in through `url`: one new session. */
export async function signInAt(
  url: string,
  account: { email: string; name: string; password: string },
): Promise<ClusterUser> {
  const result = sessionOf(
    await clientAt(url).auth.signIn.mutate({
      email: account.email,
      password: account.password,
    }),
  );
  return {
    ...account,
    userId: result.user.id,
    sessionId: result.session.id,
    accessToken: result.accessToken,
  };
}

/**
 * Opens a WebSocket to one instance and subscribes to `signaling.events`; resolves on `ready`.
 * Every call of `device.client` travels over that socket, so its peer is the sender.
 */
export async function connectDeviceAt(url: string, accessToken: string): Promise<Device> {
  const wsClient = createWSClient({
    url: `${url.replace(/^http/, 'ws')}/trpc`,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    connectionParams: () => ({ accessToken }),
    // Never reconnect during a test: a dead instance must stay dead for its clients.
    retryDelayMs: () => 600_000,
  });
  const client = createTRPCClient<AppRouter>({
    links: [wsLink({ client: wsClient, transformer: superjson })],
  });
  const device: Device = {
    client,
    events: [],
    peerId: '',
    error: undefined,
    stopped: false,
    async next(type, predicate, timeoutMs = 5000) {
      let found: SignalingEvent | undefined;
      await until(
        () => {
          found = device.events.find(
            (e) =>
              e.type === type &&
              (!predicate || predicate(e as Extract<SignalingEvent, { type: typeof type }>)),
          );
          return found !== undefined;
        },
        timeoutMs,
        `a ${type} event`,
      );
      return found as Extract<SignalingEvent, { type: typeof type }>;
    },
    ended: (timeoutMs = 5000) =>
      until(() => device.stopped || device.error !== undefined, timeoutMs, 'the end'),
    close: () => {
      subscription.unsubscribe();
      void wsClient.close();
    },
  };
  const subscription = client.signaling.events.subscribe(undefined, {
    onData: (event) => device.events.push(event),
    onError: (error) => {
      device.error = error;
    },
    onStopped: () => {
      device.stopped = true;
    },
    onComplete: () => {
      device.stopped = true;
    },
  });
  try {
    const ready = await device.next('ready');
    device.peerId = ready.peerId;
  } catch (error) {
    device.close();
    throw error;
  }
  return device;
}
