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
import { type AuthMode, authLink, createTokenManager, type TokenManager } from './auth-link.js';
import { connectSignaling, type SignalingConnection } from './signaling.js';
import { memoryTokenStore, type TokenStore } from './token-store.js';

export type { AuthMode } from './auth-link.js';

interface CommonOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  /** A WebSocket implementation for runtimes without a global one (e.g. `ws` on Node 20). */
  WebSocket?: typeof globalThis.WebSocket;
  /** Extra headers sent with every HTTP request. */
  headers?: Record<string, string>;
  /** A fetch implementation for HTTP calls (default: the global `fetch`). */
  fetch?: typeof globalThis.fetch;
}

/** Token mode (the default): the client holds the tokens; for Node, CLIs and non-browser apps. */
export interface TokenModeOptions extends CommonOptions {
  /**
   * `'token'` (default): the client keeps the tokens and this device's id in `tokenStore` and
   * sends `Authorization: Bearer …`, the token in the socket's connectionParams, and `device.id`
   * on every sign-in.
   */
  auth?: 'token';
  /** Where tokens live: memory (default), `localStorageTokenStore()` or `fileTokenStore(path)`. */
  tokenStore?: TokenStore;
  /** Send cookies on cross-origin requests too (the cookie session is `auth: 'cookie'`). */
  credentials?: RequestCredentials;
}

/** Cookie mode: the server's HttpOnly cookies hold the session, out of page script's reach. */
export interface CookieModeOptions extends CommonOptions {
  /**
   * `'cookie'`: for browser apps. The client holds no token: HTTP calls go with
   * `credentials: 'include'` and no Authorization header, `auth.refresh` sends no token (the
   * server reads the `refreshToken` cookie and sets new cookies), and the WebSocket carries the
   * cookies of its (same-origin) upgrade. The `deviceId` cookie names the device. Signed-in
   * state comes from `auth.me`; tokens in `signIn` and `refresh` answers are not kept.
   */
  auth: 'cookie';
  /** Cookie mode keeps no tokens. */
  tokenStore?: never;
  /** Cookie mode always sends credentials. */
  credentials?: never;
}

export type CryptwebClientOptions = TokenModeOptions | CookieModeOptions;

type Api = TRPCClient<AppRouter>;

/** The typed procedures, plus the token store and the signaling helper. */
export type CryptwebClient<Mode extends AuthMode = 'token'> = Pick<
  Api,
  'health' | 'auth' | 'account' | 'admin' | 'mfa' | 'passkeys' | 'sessions' | 'transfers'
> & {
  signaling: Api['signaling'] & {
    /** Opens (or joins) this client's signaling subscription: one peer for this device. */
    connect(): Promise<SignalingConnection>;
  };
  /** `'token'` or `'cookie'`, as created. */
  authMode: Mode;
  /** Where the client keeps its tokens and device id; null in cookie mode, which keeps none. */
  tokenStore: Mode extends 'cookie' ? null : TokenStore;
  /** Refreshes the tokens (or cookies) now, one request however many callers; false if it failed. */
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

/** The most calls in one HTTP batch: the server refuses more (MAX_BATCH_SIZE, BATCH_TOO_LARGE). */
const MAX_BATCH_ITEMS = 20;

/**
 * A typed client for every CryptWeb procedure: in token mode (default) for Node and other
 * non-browser clients, in cookie mode (`auth: 'cookie'`) for browser apps.
 */
export function createCryptwebClient(options: CookieModeOptions): CryptwebClient<'cookie'>;
export function createCryptwebClient(options: TokenModeOptions): CryptwebClient<'token'>;
export function createCryptwebClient(options: CryptwebClientOptions): CryptwebClient<AuthMode>;
export function createCryptwebClient(options: CryptwebClientOptions): CryptwebClient<AuthMode> {
  const base = options.url.replace(/\/+$/, '');
  const store = options.auth === 'cookie' ? null : (options.tokenStore ?? memoryTokenStore());
  const credentials = options.auth === 'cookie' ? 'include' : options.credentials;
  const baseFetch = options.fetch;
  const fetchImpl: typeof fetch | undefined = credentials
    ? (input, init) => (baseFetch ?? fetch)(input, { ...init, credentials })
    : baseFetch;
  const httpOptions = {
    url: `${base}/trpc`,
    transformer: superjson,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
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
    const url = `${base.replace(/^http/, 'ws')}/trpc`;
    const client = createWSClient({
      WebSocket: WebSocketImpl,
      // Opened on the first subscription, closed when none is left.
      lazy: { enabled: true, closeMs: 5_000 },
      retryDelayMs: reconnectDelay,
      // Every (re)connect authenticates with a token that is fresh at that moment: in token mode
      // sent as the first message; in cookie mode the upgrade request carries the cookies, so
      // they are refreshed before it, and no connectionParams are sent at all.
      ...(tokens.mode === 'cookie'
        ? {
            url: async () => {
              await tokens.freshAccessToken();
              return url;
            },
          }
        : {
            url,
            connectionParams: async () => {
              const accessToken = await tokens.freshAccessToken();
              return accessToken ? { accessToken } : {};
            },
          }),
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
          maxItems: MAX_BATCH_ITEMS,
          async headers() {
            const accessToken = await tokens.accessToken();
            return {
              ...options.headers,
              ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
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
    account: api.account,
    admin: api.admin,
    mfa: api.mfa,
    passkeys: api.passkeys,
    sessions: api.sessions,
    transfers: api.transfers,
    signaling: signalingApi,
    authMode: tokens.mode,
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
