import type { AppRouter } from '@cryptweb/server';
import { createTRPCClient, httpBatchLink, type TRPCClient, TRPCClientError } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import superjson from 'superjson';
import { memoryTokenStore, type TokenStore } from './token-store.js';

export * from './token-store.js';
export type { AppRouter };
export { TRPCClientError };

/** Every procedure's input type, by path: `RouterInputs['auth']['signIn']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output type, by path: `RouterOutputs['auth']['me']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export interface CryptwebClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  /** Where tokens live; in memory by default. */
  tokenStore?: TokenStore;
  /** Extra headers sent with every HTTP request. */
  headers?: Record<string, string>;
}

export type CryptwebClient = TRPCClient<AppRouter> & { tokenStore: TokenStore };

/** A typed client for every CryptWeb procedure. */
export function createCryptwebClient(options: CryptwebClientOptions): CryptwebClient {
  const base = options.url.replace(/\/+$/, '');
  const tokenStore = options.tokenStore ?? memoryTokenStore();
  const api = createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${base}/trpc`,
        transformer: superjson,
        async headers() {
          const tokens = await tokenStore.get();
          return {
            ...options.headers,
            ...(tokens ? { authorization: `Bearer ${tokens.accessToken}` } : {}),
          };
        },
      }),
    ],
  });
  return Object.assign(api, { tokenStore });
}
