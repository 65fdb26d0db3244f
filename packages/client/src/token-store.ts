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

/** Keeps tokens in the browser's `localStorage` under `key`. */
export function localStorageTokenStore(key = 'cryptweb.tokens'): TokenStore {
  return {
    get() {
      const raw = globalThis.localStorage?.getItem(key);
      if (!raw) return null;
      try {
        return JSON.parse(raw) as StoredTokens;
      } catch {
        return null;
      }
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
      try {
        return JSON.parse(await readFile(path, 'utf8')) as StoredTokens;
      } catch {
        return null;
      }
    },
    async set(tokens) {
      const { mkdir, rm, writeFile } = await import('node:fs/promises');
      const { dirname } = await import('node:path');
      if (!tokens) {
        await rm(path, { force: true });
        return;
      }
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFile(path, JSON.stringify(tokens), { mode: 0o600 });
    },
  };
}
