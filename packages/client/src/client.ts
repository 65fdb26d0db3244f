import type { AppRouter } from '@cryptweb/server';
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpLink,
  type OperationLink,
  splitLink,
  type TRPCClient,
  TRPCClientError,
  type TRPCClientRuntime,
  wsLink,
} from '@trpc/client';
import { observable } from '@trpc/server/observable';
import superjson from 'superjson';
import { authLink, createTokenManager, type TokenManager } from './auth-link.js';
import { connectSignaling, type SignalingConnection } from './signaling.js';
import { memoryTokenStore, type TokenStore } from './token-store.js';

export interface CryptwebClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  /** Where tokens live: memory (default), `localStorageTokenStore()` or `fileTokenStore(path)`. */
  tokenStore?: TokenStore;
  /** A WebSocket implementation for runtimes without a global one (e.g. `ws` on Node 20). */
  WebSocket?: typeof globalThis.WebSocket;
  /** Extra headers sent with every HTTP request. */
  headers?: Record<string, string>;
  /** Send cookies on cross-origin requests (browser apps using the HttpOnly cookie session). */
  credentials?: RequestCredentials;
}

type Api = TRPCClient<AppRouter>;

/** The typed procedures, plus the token store and the signaling helper. */
export type CryptwebClient = Pick<Api, 'health' | 'auth' | 'sessions' | 'transfers'> & {
  signaling: Api['signaling'] & {
    /** Opens (or joins) this client's signaling subscription: one peer for this device. */
    connect(): Promise<SignalingConnection>;
  };
  /** Where the client keeps its tokens. */
  tokenStore: TokenStore;
  /** Refreshes the tokens now (one request however many callers); false when it failed. */
  refreshTokens(): Promise<boolean>;
  /** Closes the WebSocket, if one was opened. */
  close(): Promise<void>;
};

/**
 * Exponential backoff from 250 ms to 15 s, jittered (a random point in the upper half of each
 * step) so clients that lost the same server do not reconnect in step.
 */
export function reconnectDelay(attempt: number): number {
  const ceiling = Math.min(15_000, 250 * 2 ** attempt);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** A typed client for every CryptWeb procedure. */
export function createCryptwebClient(options: CryptwebClientOptions): CryptwebClient {
  const base = options.url.replace(/\/+$/, '');
  const store = options.tokenStore ?? memoryTokenStore();
  const fetchWithCredentials: typeof fetch | undefined = options.credentials
    ? (input, init) => fetch(input, { ...init, credentials: options.credentials })
    : undefined;
  const httpOptions = {
    url: `${base}/trpc`,
    transformer: superjson,
    ...(fetchWithCredentials ? { fetch: fetchWithCredentials } : {}),
  };

  // Refreshes go through a bare link so they never recurse into the refresh-and-retry logic.
  const bare = createTRPCClient<AppRouter>({
    links: [httpLink({ ...httpOptions, headers: () => ({ ...options.headers }) })],
  });
  const tokens: TokenManager = createTokenManager(store, (refreshToken) =>
    bare.auth.refresh.mutate(refreshToken ? { refreshToken } : undefined),
  );

  /**
   * The WebSocket and its link, made on the first subscription (creating them needs a WebSocket
   * implementation, which Node 20 lacks unless one is passed in). A socket authenticates once, when
   * it opens, so a new session (sign-in, sign-out) replaces it; a refresh keeps it.
   */
  let socket:
    | { client: ReturnType<typeof createWSClient>; link: OperationLink<AppRouter> }
    | undefined;
  const openSocket = (runtime: TRPCClientRuntime) => {
    const WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
    if (typeof WebSocketImpl !== 'function')
      throw new Error(
        'No WebSocket implementation: pass `WebSocket` (e.g. from the `ws` package) to createCryptwebClient',
      );
    const client = createWSClient({
      url: `${base.replace(/^http/, 'ws')}/trpc`,
      WebSocket: WebSocketImpl,
      // Opened on the first subscription, closed when none is left.
      lazy: { enabled: true, closeMs: 5_000 },
      retryDelayMs: reconnectDelay,
      // Every (re)connect authenticates with a token that is fresh at that moment.
      connectionParams: async () => {
        const accessToken = await tokens.freshAccessToken();
        return accessToken ? { accessToken } : {};
      },
    });
    return { client, link: wsLink<AppRouter>({ client, transformer: superjson })(runtime) };
  };
  const dropSocket = async () => {
    const old = socket;
    socket = undefined;
    await old?.client.close();
  };

  const api = createTRPCClient<AppRouter>({
    links: [
      authLink(tokens, () => {
        // Subscriptions of the previous session end (completed) with its socket.
        dropSocket().catch(() => {});
      }),
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: (runtime) => (opts) => {
          try {
            socket ??= openSocket(runtime);
          } catch (error) {
            return observable((observer) => observer.error(TRPCClientError.from(toError(error))));
          }
          return socket.link(opts);
        },
        false: httpBatchLink({
          ...httpOptions,
          async headers() {
            const current = await store.get();
            return {
              ...options.headers,
              ...(current ? { authorization: `Bearer ${current.accessToken}` } : {}),
            };
          },
        }),
      }),
    ],
  });

  let signaling: Promise<SignalingConnection> | undefined;
  const signalingApi = Object.assign(Object.create(null) as object, {
    events: api.signaling.events,
    sendOffer: api.signaling.sendOffer,
    sendAnswer: api.signaling.sendAnswer,
    sendIceCandidate: api.signaling.sendIceCandidate,
    markConnected: api.signaling.markConnected,
    iceServers: api.signaling.iceServers,
    presence: api.signaling.presence,
    connect() {
      if (signaling) return signaling;
      // Once a subscription is over (session revoked, closed), the next connect() opens a new one.
      let opening: Promise<SignalingConnection> | undefined;
      const forget = () => {
        if (signaling === opening) signaling = undefined;
      };
      opening = connectSignaling(api, forget).catch((error: unknown) => {
        forget();
        throw error;
      });
      signaling = opening;
      return opening;
    },
  }) as CryptwebClient['signaling'];

  return {
    health: api.health,
    auth: api.auth,
    sessions: api.sessions,
    transfers: api.transfers,
    signaling: signalingApi,
    tokenStore: store,
    refreshTokens: () => tokens.refresh(),
    async close() {
      const connection = await signaling?.catch(() => undefined);
      connection?.close();
      await dropSocket();
    },
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
