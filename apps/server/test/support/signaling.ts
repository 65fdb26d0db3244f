import {
  createTRPCClient,
  createWSClient,
  type TRPCClient,
  type TRPCClientError,
  wsLink,
} from '@trpc/client';
import superjson from 'superjson';
import WebSocket from 'ws';
import type { AppRouter } from '../../src/routers/_app.js';
import type { SignalingEvent } from '../../src/signaling/events.js';
import type { TestServer } from './server.js';

export interface Device {
  /** A client whose every call goes over this device's WebSocket. */
  client: TRPCClient<AppRouter>;
  events: SignalingEvent[];
  peerId: string;
  /** Set when the subscription ended with an error (e.g. the session was revoked). */
  error: TRPCClientError<AppRouter> | undefined;
  stopped: boolean;
  /** Resolves with the first event matching `predicate` (already received ones count). */
  next<T extends SignalingEvent['type']>(
    type: T,
    predicate?: (event: Extract<SignalingEvent, { type: T }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<SignalingEvent, { type: T }>>;
  /** Resolves once the subscription has ended (error or stop). */
  ended(timeoutMs?: number): Promise<void>;
  close(): void;
}

async function until(check: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Opens a WebSocket as a signed-in user and subscribes to `signaling.events`; resolves on `ready`. */
export async function connectDevice(server: TestServer, accessToken: string): Promise<Device> {
  const wsClient = createWSClient({
    url: `${server.url.replace(/^http/, 'ws')}/trpc`,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    connectionParams: () => ({ accessToken }),
    retryDelayMs: () => 60_000,
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
  const ready = await device.next('ready');
  device.peerId = ready.peerId;
  return device;
}
