import type { AppRouter } from '@cryptweb/server';
import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { isDeviceId, randomDeviceId, type TokenStore } from './token-store.js';

/** Calls that never trigger a refresh-and-retry: the refresh itself and the unauthenticated ones. */
const NO_RETRY = new Set([
  'auth.signIn',
  'auth.verifyMfa',
  'auth.signInWithPasskey',
  'auth.passkeyOptions',
  'auth.device.start',
  'auth.device.poll',
  'auth.refresh',
  'auth.signUp',
]);

/**
 * Calls whose answer carries a new pair of tokens. `auth.signIn` may answer `mfaRequired`
 * instead (SPEC §9): no tokens, no session, nothing kept until `auth.verifyMfa` finishes it.
 */
const TOKEN_ANSWERS = new Set([
  'auth.signIn',
  'auth.verifyMfa',
  'auth.signInWithPasskey',
  'auth.device.poll',
  'auth.refresh',
]);

/** Calls that start a new session once their tokens are kept. */
const NEW_SESSION = new Set([
  'auth.signIn',
  'auth.verifyMfa',
  'auth.signInWithPasskey',
  'auth.device.poll',
]);

/** Sign-ins that name the device they run on (token mode). */
const NAMES_DEVICE = new Set(['auth.signIn', 'auth.signInWithPasskey', 'auth.device.start']);

/** How a client proves who it is: `'token'` (its token store) or `'cookie'` (HttpOnly cookies). */
export type AuthMode = 'token' | 'cookie';

/** What `auth.signIn`, `auth.verifyMfa` and `auth.refresh` answer, as far as the client keeps it. */
export interface TokenAnswer {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt?: Date;
}

export interface TokenManager {
  mode: AuthMode;
  /** Bumped on every token change: tells a failed call whether a refresh already happened. */
  generation(): number;
  /**
   * Keeps a new pair, or none (sign-out). Token mode keeps it in the store, with the device id
   * the server answered; cookie mode keeps only the access token's expiry (the server set the
   * cookies, which page script cannot read).
   */
  save(answer: TokenAnswer | null, deviceId?: string): Promise<void>;
  /** One refresh for any number of concurrent callers; resolves false when it failed. */
  refresh(): Promise<boolean>;
  /**
   * Refreshes first when the access token expires within `marginSeconds`, then gives it (token
   * mode) or undefined (cookie mode, where the request carries the cookie itself).
   */
  freshAccessToken(marginSeconds?: number): Promise<string | undefined>;
  /** The access token for an Authorization header; never in cookie mode. */
  accessToken(): Promise<string | undefined>;
  /**
   * Token mode: this device's id, made and kept in the store on first use, for `auth.signIn`.
   * Cookie mode: undefined (the `deviceId` cookie travels by itself).
   */
  deviceId(): Promise<string | undefined>;
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

/**
 * The tokens of a client: in `store` (token mode), or in the server's HttpOnly cookies when
 * `store` is null (cookie mode). `callRefresh` rotates them: with the stored refresh token, or
 * with none, when the server reads the `refreshToken` cookie.
 */
export function createTokenManager(
  store: TokenStore | null,
  callRefresh: (refreshToken: string | undefined) => Promise<TokenAnswer>,
): TokenManager {
  let generation = 0;
  let inFlight: Promise<boolean> | undefined;
  /** Cookie mode: when the access cookie expires, as far as the last answer said. */
  let cookieExpiresAt: number | undefined;
  /** The device id of a store that cannot keep one: it lasts as long as this client. */
  let ownDeviceId: string | undefined;
  const secondsToExpiry = async () => {
    if (!store) {
      return cookieExpiresAt === undefined
        ? Number.POSITIVE_INFINITY
        : (cookieExpiresAt - Date.now()) / 1000;
    }
    const tokens = await store.get();
    return tokens ? secondsLeft(tokens.accessToken) : Number.POSITIVE_INFINITY;
  };
  const manager: TokenManager = {
    mode: store ? 'token' : 'cookie',
    generation: () => generation,
    async save(answer, deviceId) {
      generation += 1;
      if (!store) {
        cookieExpiresAt = answer?.accessTokenExpiresAt?.getTime();
        return;
      }
      if (isDeviceId(deviceId)) {
        ownDeviceId = deviceId;
        await store.setDeviceId?.(deviceId);
      }
      await store.set(
        answer ? { accessToken: answer.accessToken, refreshToken: answer.refreshToken } : null,
      );
    },
    refresh() {
      inFlight ??= (async () => {
        try {
          const current = await store?.get();
          await manager.save(await callRefresh(current?.refreshToken));
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
      if ((await secondsToExpiry()) < marginSeconds) await manager.refresh();
      return manager.accessToken();
    },
    async accessToken() {
      return (await store?.get())?.accessToken;
    },
    async deviceId() {
      if (!store) return undefined;
      const kept = (await store.getDeviceId?.()) ?? ownDeviceId;
      if (isDeviceId(kept)) return kept;
      ownDeviceId = randomDeviceId();
      await store.setDeviceId?.(ownDeviceId);
      return ownDeviceId;
    },
  };
  return manager;
}

function isUnauthorized(error: TRPCClientError<AppRouter>): boolean {
  return error.data?.code === 'UNAUTHORIZED';
}

/**
 * Keeps tokens (signIn, verifyMfa and refresh save them, signOut clears them), names the device
 * on every signIn (token mode; the server remembers it for the verifyMfa that finishes an
 * `mfaRequired` sign-in), and answers an UNAUTHORIZED with one shared refresh, then a single
 * retry of the call. `onSessionChange` runs once the tokens of a new session (signIn or
 * verifyMfa) or of none (signOut) are kept; a refresh keeps the session, and an `mfaRequired`
 * answer has none yet.
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
        const attempt = (retried: boolean, input: unknown) => {
          const startedAt = tokens.generation();
          // Saving tokens is async (file, localStorage): the result is delivered once they are kept.
          let saving: Promise<void> = Promise.resolve();
          const deliverAfter = (save: Promise<void>, deliver: () => void) => {
            saving = save.then(deliver, (error: unknown) => observer.error(toClientError(error)));
          };
          const subscription = next({ ...op, input }).subscribe({
            next(result) {
              const data = result.result.type === 'data' ? result.result.data : undefined;
              const answer = data as
                | {
                    accessToken?: unknown;
                    refreshToken?: unknown;
                    accessTokenExpiresAt?: unknown;
                    session?: { deviceId?: unknown };
                  }
                | undefined;
              if (
                TOKEN_ANSWERS.has(op.path) &&
                typeof answer?.accessToken === 'string' &&
                typeof answer.refreshToken === 'string'
              ) {
                const expiresAt = answer.accessTokenExpiresAt;
                const deviceId = answer.session?.deviceId;
                const save = tokens.save(
                  {
                    accessToken: answer.accessToken,
                    refreshToken: answer.refreshToken,
                    ...(expiresAt instanceof Date ? { accessTokenExpiresAt: expiresAt } : {}),
                  },
                  typeof deviceId === 'string' ? deviceId : undefined,
                );
                deliverAfter(save, () => {
                  if (NEW_SESSION.has(op.path)) onSessionChange();
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
                if (ok) attempt(true, input);
                else observer.error(error);
              });
            },
            complete() {
              void saving.then(() => observer.complete());
            },
          });
          unsubscribe = () => subscription.unsubscribe();
        };
        if (NAMES_DEVICE.has(op.path)) {
          // Every sign-in names this device (token mode), so the account knows it next time.
          tokens.deviceId().then(
            (deviceId) => {
              if (!closed) attempt(false, withDeviceId(op.input, deviceId));
            },
            (error: unknown) => observer.error(toClientError(error)),
          );
        } else {
          attempt(false, op.input);
        }
        return () => {
          closed = true;
          unsubscribe?.();
        };
      });
}

/** The signIn input with `device.id` added, unless the caller gave one; its name is kept. */
function withDeviceId(input: unknown, deviceId: string | undefined): unknown {
  if (!deviceId || typeof input !== 'object' || input === null) return input;
  const { device } = input as { device?: unknown };
  if (device !== undefined && (typeof device !== 'object' || device === null)) return input;
  const given = device as { id?: unknown } | undefined;
  return { ...input, device: { ...given, id: given?.id ?? deviceId } };
}

function toClientError(error: unknown): TRPCClientError<AppRouter> {
  return TRPCClientError.from(error instanceof Error ? error : new Error(String(error)));
}
