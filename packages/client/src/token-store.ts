/** The tokens a signed-in client holds. */
export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
}

/**
 * Where a client in token mode keeps its tokens between calls (and, for persistent stores,
 * between runs), and this device's id (SPEC §6.1 "Known devices"): sent as `device.id` on every
 * `auth.signIn`, it makes the device known to the account, so strangers failing to sign in from
 * elsewhere never lock it out. Signing out forgets the tokens but keeps the device id.
 */
export interface TokenStore {
  get(): StoredTokens | null | Promise<StoredTokens | null>;
  /** `null` on sign-out: the tokens go, the device id stays. */
  set(tokens: StoredTokens | null): void | Promise<void>;
  /**
   * This device's id, or null before the first sign-in. Optional for stores written before
   * devices were known: without it, a client keeps a device id for its own lifetime only.
   */
  getDeviceId?(): string | null | Promise<string | null>;
  setDeviceId?(deviceId: string): void | Promise<void>;
}

/** What the persistent stores write: the tokens while signed in, the device id always. */
interface Persisted {
  accessToken?: string;
  refreshToken?: string;
  deviceId?: string;
}

/** The form of ids `auth.signIn` accepts as `device.id` (and of those the server makes). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** Whether `value` is a device id the server accepts. */
export function isDeviceId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Keeps tokens (and the device id) in memory only: gone when the process or tab ends. */
export function memoryTokenStore(initial: StoredTokens | null = null): TokenStore {
  let tokens = initial;
  let deviceId: string | null = null;
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next;
    },
    getDeviceId: () => deviceId,
    setDeviceId: (next) => {
      deviceId = next;
    },
  };
}

/** Reads a stored record; anything corrupt, hand-edited or empty reads as nothing stored. */
function parseRecord(raw: string | null | undefined): Persisted {
  if (!raw) return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return {};
    const { accessToken, refreshToken, deviceId } = value as Record<string, unknown>;
    return {
      ...(typeof accessToken === 'string' && typeof refreshToken === 'string'
        ? { accessToken, refreshToken }
        : {}),
      ...(isDeviceId(deviceId) ? { deviceId } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * A store over one serialized record: `read` and `write` move the whole record (null deletes
 * it), so the tokens and the device id change together and a sign-out keeps the device id.
 */
function recordStore(
  read: () => string | null | undefined | Promise<string | null | undefined>,
  write: (raw: string | null) => void | Promise<void>,
): TokenStore {
  const save = (record: Persisted) =>
    write(Object.keys(record).length > 0 ? JSON.stringify(record) : null);
  return {
    async get() {
      const { accessToken, refreshToken } = parseRecord(await read());
      return accessToken !== undefined && refreshToken !== undefined
        ? { accessToken, refreshToken }
        : null;
    },
    async set(tokens) {
      const { deviceId } = parseRecord(await read());
      await save({
        ...(tokens ? { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken } : {}),
        ...(deviceId ? { deviceId } : {}),
      });
    },
    async getDeviceId() {
      return parseRecord(await read()).deviceId ?? null;
    },
    async setDeviceId(deviceId) {
      const { accessToken, refreshToken } = parseRecord(await read());
      await save({ accessToken, refreshToken, deviceId });
    },
  };
}

/** Keeps tokens and the device id in the browser's `localStorage` under `key`. */
export function localStorageTokenStore(key = 'cryptweb.tokens'): TokenStore {
  return recordStore(
    () => globalThis.localStorage?.getItem(key),
    (raw) => {
      if (raw) globalThis.localStorage?.setItem(key, raw);
      else globalThis.localStorage?.removeItem(key);
    },
  );
}

/** Keeps tokens and the device id in a JSON file readable only by the owner (Node only). */
export function fileTokenStore(path: string): TokenStore {
  return recordStore(
    async () => {
      const { readFile } = await import('node:fs/promises');
      return readFile(path, 'utf8').catch(() => '');
    },
    async (raw) => {
      const { mkdir, rename, rm, writeFile } = await import('node:fs/promises');
      const { dirname } = await import('node:path');
      if (!raw) {
        await rm(path, { force: true });
        return;
      }
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // A new file renamed over the old one: writeFile's mode only applies when it creates the
      // file (an existing 0644 file would keep its mode), and a reader never sees half a write.
      const temporary = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2)}.tmp`;
      try {
        await writeFile(temporary, raw, { mode: 0o600, flag: 'wx' });
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
  );
}

/** A random (version 4) UUID, also where `crypto.randomUUID` is missing (plain-http pages). */
export function randomDeviceId(): string {
  if (typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
