/** The tokens a signed-in client holds. */
export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
}

/** Where the client keeps its tokens between calls (and, for persistent stores, between runs). */
export interface TokenStore {
  get(): StoredTokens | null | Promise<StoredTokens | null>;
  set(tokens: StoredTokens | null): void | Promise<void>;
}

/** Keeps tokens in memory only: gone when the process or tab ends. */
export function memoryTokenStore(initial: StoredTokens | null = null): TokenStore {
  let tokens = initial;
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next;
    },
  };
}

/** Reads a stored token pair; anything else (corrupt, hand-edited, empty) reads as signed out. */
function parseTokens(raw: string): StoredTokens | null {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return null;
    const { accessToken, refreshToken } = value as Record<string, unknown>;
    if (typeof accessToken !== 'string' || typeof refreshToken !== 'string') return null;
    return { accessToken, refreshToken };
  } catch {
    return null;
  }
}

/** Keeps tokens in the browser's `localStorage` under `key`. */
export function localStorageTokenStore(key = 'cryptweb.tokens'): TokenStore {
  return {
    get() {
      const raw = globalThis.localStorage?.getItem(key);
      return raw ? parseTokens(raw) : null;
    },
    set(tokens) {
      if (tokens) globalThis.localStorage?.setItem(key, JSON.stringify(tokens));
      else globalThis.localStorage?.removeItem(key);
    },
  };
}

/** Keeps tokens in a JSON file readable only by the owner (Node only). */
export function fileTokenStore(path: string): TokenStore {
  return {
    async get() {
      const { readFile } = await import('node:fs/promises');
      const raw = await readFile(path, 'utf8').catch(() => '');
      return raw ? parseTokens(raw) : null;
    },
    async set(tokens) {
      const { mkdir, rename, rm, writeFile } = await import('node:fs/promises');
      const { dirname } = await import('node:path');
      if (!tokens) {
        await rm(path, { force: true });
        return;
      }
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // A new file renamed over the old one: writeFile's mode only applies when it creates the
      // file (an existing 0644 file would keep its mode), and a reader never sees half a write.
      const temporary = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2)}.tmp`;
      try {
        await writeFile(temporary, JSON.stringify(tokens), { mode: 0o600, flag: 'wx' });
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
  };
}
