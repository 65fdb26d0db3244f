import type { AppRouter } from '@cryptweb/server';
import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { TokenStore } from './token-store.js';

/** Calls that never trigger a refresh-and-retry: the refresh itself and the unauthenticated ones. */
const NO_RETRY = new Set(['auth.signIn', 'auth.refresh', 'auth.signUp']);

export interface TokenManager {
  store: TokenStore;
  /** Bumped on every token change: tells a failed call whether a refresh already happened. */
  generation(): number;
  save(tokens: { accessToken: string; refreshToken: string } | null): Promise<void>;
  /** One refresh for any number of concurrent callers; resolves false when it failed. */
  refresh(): Promise<boolean>;
  /** The access token, refreshed first when it expires within `marginSeconds`. */
  freshAccessToken(marginSeconds?: number): Promise<string | undefined>;
}

/** Seconds until a JWT's `exp`, without verifying it (the server does that). */
export function secondsLeft(token: string): number {
  try {
    const payload = token.split('.')[1] ?? '';
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const json = JSON.parse(
      globalThis.atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')),
    ) as {
      exp?: number;
    };
    return typeof json.exp === 'number' ? json.exp - Date.now() / 1000 : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export function createTokenManager(
  store: TokenStore,
  callRefresh: (
    refreshToken: string | undefined,
  ) => Promise<{ accessToken: string; refreshToken: string }>,
): TokenManager {
  let generation = 0;
  let inFlight: Promise<boolean> | undefined;
  const manager: TokenManager = {
    store,
    generation: () => generation,
    async save(tokens) {
      generation += 1;
      await store.set(tokens);
    },
    refresh() {
      inFlight ??= (async () => {
        try {
          const current = await store.get();
          const pair = await callRefresh(current?.refreshToken);
          await manager.save({ accessToken: pair.accessToken, refreshToken: pair.refreshToken });
          return true;
        } catch {
          return false;
        } finally {
          inFlight = undefined;
        }
      })();
      return inFlight;
    },
    async freshAccessToken(marginSeconds = 30) {
      const tokens = await store.get();
      if (tokens && secondsLeft(tokens.accessToken) < marginSeconds) await manager.refresh();
      return (await store.get())?.accessToken;
    },
  };
  return manager;
}

function isUnauthorized(error: TRPCClientError<AppRouter>): boolean {
  return error.data?.code === 'UNAUTHORIZED';
}

/**
 * Keeps tokens in the store (signIn and refresh save them, signOut clears them) and answers an
 * UNAUTHORIZED with one shared refresh, then a single retry of the call. `onSessionChange` runs
 * once the tokens of a new session (signIn) or of none (signOut) are kept; a refresh keeps the
 * session.
 */
export function authLink(
  tokens: TokenManager,
  onSessionChange: () => void = () => {},
): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        let unsubscribe: (() => void) | undefined;
        let closed = false;
        const attempt = (retried: boolean) => {
          const startedAt = tokens.generation();
          // Saving tokens is async (file, localStorage): the result is delivered once they are kept.
          let saving: Promise<void> = Promise.resolve();
          const deliverAfter = (save: Promise<void>, deliver: () => void) => {
            saving = save.then(deliver, (error: unknown) => observer.error(toClientError(error)));
          };
          const subscription = next(op).subscribe({
            next(result) {
              const data = result.result.type === 'data' ? result.result.data : undefined;
              const pair = data as { accessToken?: unknown; refreshToken?: unknown } | undefined;
              if (
                (op.path === 'auth.signIn' || op.path === 'auth.refresh') &&
                typeof pair?.accessToken === 'string' &&
                typeof pair.refreshToken === 'string'
              ) {
                const save = tokens.save({
                  accessToken: pair.accessToken,
                  refreshToken: pair.refreshToken,
                });
                deliverAfter(save, () => {
                  if (op.path === 'auth.signIn') onSessionChange();
                  observer.next(result);
                });
              } else if (op.path === 'auth.signOut') {
                deliverAfter(tokens.save(null), () => {
                  onSessionChange();
                  observer.next(result);
                });
              } else {
                observer.next(result);
              }
            },
            error(error) {
              const canRetry =
                !retried &&
                op.type !== 'subscription' &&
                !NO_RETRY.has(op.path) &&
                isUnauthorized(error);
              if (!canRetry) {
                observer.error(error);
                return;
              }
              // Another call may have refreshed while this one was in flight: then just retry.
              const refreshed =
                tokens.generation() !== startedAt ? Promise.resolve(true) : tokens.refresh();
              void refreshed.then((ok) => {
                if (closed) return;
                if (ok) attempt(true);
                else observer.error(error);
              });
            },
            complete() {
              void saving.then(() => observer.complete());
            },
          });
          unsubscribe = () => subscription.unsubscribe();
        };
        attempt(false);
        return () => {
          closed = true;
          unsubscribe?.();
        };
      });
}

function toClientError(error: unknown): TRPCClientError<AppRouter> {
  return TRPCClientError.from(error instanceof Error ? error : new Error(String(error)));
}
