import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import WebSocket from 'ws';
import type { AppRouter } from '../../src/routers/_app.js';
import type { SignalingEvent } from '../../src/signaling/events.js';
import type { TestServer } from './server.js';
import { until } from './sig-wait.js';
import type { Device } from './signaling.js';

export interface SigDevice extends Device {
  /** Kills the device's WebSocket without a closing handshake, as a lost network would. */
  terminate(): void;
}

/**
 * Like `connectDevice`, but the subscription may be refused (`connectionParams` is sent as
 * given, or not at all when undefined) and the socket can be killed. Does not wait for `ready`.
 */
export function openDevice(
  server: TestServer,
  connectionParams: Record<string, string> | undefined,
): SigDevice {
  const sockets: WebSocket[] = [];
  // The client builds its own socket; a subclass keeps hold of it so a test can kill it.
  class TrackedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.push(this);
    }
  }
  const wsClient = createWSClient({
    url: `${server.url.replace(/^http/, 'ws')}/trpc`,
    WebSocket: TrackedWebSocket as unknown as typeof globalThis.WebSocket,
    ...(connectionParams ? { connectionParams: () => connectionParams } : {}),
    retryDelayMs: () => 60_000,
  });
  const client = createTRPCClient<AppRouter>({
    links: [wsLink({ client: wsClient, transformer: superjson })],
  });
  const device: SigDevice = {
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
    terminate: () => {
      for (const socket of sockets) socket.terminate();
    },
  };
  const subscription = client.signaling.events.subscribe(undefined, {
    onData: (event) => {
      if (event.type === 'ready' && device.peerId === '') device.peerId = event.peerId;
      device.events.push(event);
    },
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
  return device;
}

/** A signed-in device whose subscription is open (its `ready` event arrived). */
export async function connectSigDevice(
  server: TestServer,
  accessToken: string,
): Promise<SigDevice> {
  const device = openDevice(server, { accessToken });
  try {
    await device.next('ready');
  } catch (error) {
    device.close();
    throw error;
  }
  return device;
}
