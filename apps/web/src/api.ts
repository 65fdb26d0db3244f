import {
  type CryptwebClient,
  createCryptwebClient,
  type RouterOutputs,
  TRPCClientError,
} from '@cryptweb/client';

export type Me = RouterOutputs['auth']['me'];
export type SessionView = RouterOutputs['sessions']['list'][number];
export type Transfer = RouterOutputs['transfers']['list']['items'][number];
export type Stats = RouterOutputs['transfers']['stats'];
export type MfaStatus = RouterOutputs['mfa']['status'];
export type SecurityEvent = RouterOutputs['account']['securityLog']['items'][number];
export type DeviceRequest = RouterOutputs['auth']['device']['lookup'];
export type AdminUser = RouterOutputs['admin']['users']['list']['items'][number];
export type AdminUserDetail = RouterOutputs['admin']['users']['get'];
export type AdminStats = RouterOutputs['admin']['stats'];

/**
 * The API's origin: the page's own by default (the server serves the app under /app/, and the dev
 * server proxies /trpc and /api), or VITE_CRYPTWEB_API_URL for an API elsewhere (set CORS_ORIGINS there).
 */
const API_URL: string = import.meta.env.VITE_CRYPTWEB_API_URL ?? window.location.origin;

/** The app's client: in cookie mode, so the tokens stay in HttpOnly cookies page script cannot read. */
export type Client = CryptwebClient<'cookie'>;

/** A fresh client on the browser's session cookies; a new one per sign-in, so no socket outlives it. */
export function newClient(): Client {
  return createCryptwebClient({ url: API_URL, auth: 'cookie' });
}

/** Where earlier versions of the app kept the tokens, readable by any script on the page. */
const LEGACY_TOKENS_KEY = 'cryptweb.tokens';

/** Deletes tokens an earlier version left in localStorage: the session now lives in cookies. */
export function forgetLegacyTokens(): void {
  try {
    window.localStorage.removeItem(LEGACY_TOKENS_KEY);
  } catch {
    // Storage disabled (privacy settings): then nothing was kept there either.
  }
}

export type Contact = RouterOutputs['signaling']['presence']['contacts'][number];

/** Thrown by `fetchPresence` when the session is gone (the token was refused even after a refresh). */
export class SignedOutError extends Error {
  constructor() {
    super('You are signed out. Sign in again.');
    this.name = 'SignedOutError';
  }
}

/** Who is online among the people you exchanged files with (`signaling.presence`). */
export async function fetchPresence(client: Client): Promise<Contact[]> {
  try {
    return (await client.signaling.presence.query()).contacts;
  } catch (error) {
    if (error instanceof TRPCClientError && error.data?.code === 'UNAUTHORIZED') {
      throw new SignedOutError();
    }
    throw error;
  }
}
