import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createCryptwebClient,
  fileTokenStore,
  localStorageTokenStore,
  memoryTokenStore,
} from '../src/index.js';
import { PASSWORD, verifiedAccount } from './support/accounts.js';
import { startServer, type TestServer } from './support/server.js';

const tokens = { accessToken: 'access.token.one', refreshToken: 'refresh-one' };
const others = { accessToken: 'access.token.two', refreshToken: 'refresh-two' };

/** The part of the Web Storage API the store uses, kept in a Map. */
class MemoryStorage implements Storage {
  readonly #items = new Map<string, string>();
  get length() {
    return this.#items.size;
  }
  clear() {
    this.#items.clear();
  }
  getItem(key: string) {
    return this.#items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.#items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.#items.delete(key);
  }
  setItem(key: string, value: string) {
    this.#items.set(key, String(value));
  }
}

describe('memoryTokenStore', () => {
  it('starts empty or with the initial pair, and keeps what it is given', async () => {
    const empty = memoryTokenStore();
    expect(await empty.get()).toBeNull();
    await empty.set(tokens);
    expect(await empty.get()).toEqual(tokens);
    await empty.set(null);
    expect(await empty.get()).toBeNull();
    expect(await memoryTokenStore(others).get()).toEqual(others);
  });
});

describe('localStorageTokenStore', () => {
  let storage: MemoryStorage;
  beforeAll(() => {
    storage = new MemoryStorage();
    vi.stubGlobal('localStorage', storage);
  });
  afterEach(() => storage.clear());
  afterAll(() => {
    vi.unstubAllGlobals();
  });

  it('writes JSON under its key, reads it back, and removes it on sign-out', async () => {
    const store = localStorageTokenStore();
    expect(await store.get()).toBeNull();
    await store.set(tokens);
    expect(JSON.parse(storage.getItem('cryptweb.tokens') ?? '')).toEqual(tokens);
    expect(await store.get()).toEqual(tokens);
    await store.set(null);
    expect(storage.getItem('cryptweb.tokens')).toBeNull();
    expect(await store.get()).toBeNull();
  });

  it('keeps stores under different keys apart', async () => {
    const a = localStorageTokenStore('app-a');
    const b = localStorageTokenStore('app-b');
    await a.set(tokens);
    await b.set(others);
    expect(await a.get()).toEqual(tokens);
    expect(await b.get()).toEqual(others);
  });

  it('reads a corrupt or foreign value as signed out', async () => {
    const store = localStorageTokenStore();
    storage.setItem('cryptweb.tokens', '{not json');
    expect(await store.get()).toBeNull();
    storage.setItem('cryptweb.tokens', JSON.stringify({ accessToken: 1 }));
    expect(await store.get()).toBeNull();
  });
});

describe('localStorageTokenStore without localStorage (Node)', () => {
  it('holds nothing and does not throw', async () => {
    expect(globalThis.localStorage).toBeUndefined();
    const store = localStorageTokenStore();
    await store.set(tokens);
    expect(await store.get()).toBeNull();
  });
});

describe('fileTokenStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cryptweb-tokens-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a 0600 file (creating its folder), reads it back, and deletes it on sign-out', async () => {
    const file = path.join(dir, 'nested', 'config', 'tokens.json');
    const store = fileTokenStore(file);
    expect(await store.get()).toBeNull();

    await store.set(tokens);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o077).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(tokens);
    expect(await fileTokenStore(file).get()).toEqual(tokens);

    await store.set(others);
    expect(await store.get()).toEqual(others);

    await store.set(null);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    expect(await store.get()).toBeNull();
    await store.set(null);
  });

  // Regression (issue 5): writeFile's mode only applies to a new file, so tokens written over
  // an existing 0644 file stayed readable by others.
  it('tightens a token file that already existed with a wider mode', async () => {
    const file = path.join(dir, 'existing.json');
    await writeFile(file, '{}');
    await chmod(file, 0o644);
    await fileTokenStore(file).set(tokens);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await fileTokenStore(file).get()).toEqual(tokens);
  });

  it('reads a corrupt file as signed out', async () => {
    const file = path.join(dir, 'corrupt.json');
    await writeFile(file, '{"accessToken":', { mode: 0o600 });
    expect(await fileTokenStore(file).get()).toBeNull();
  });
});

describe('persistent stores with a real server', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startServer();
    dir = await mkdtemp(path.join(tmpdir(), 'cryptweb-tokens-'));
  });
  afterAll(async () => {
    vi.unstubAllGlobals();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a file session survives a new client (a new process) and ends with signOut', async () => {
    const account = await verifiedAccount(server, 'Filer');
    const file = path.join(dir, 'session.json');
    const first = createCryptwebClient({ url: server.url, tokenStore: fileTokenStore(file) });
    const signIn = await first.auth.signIn.mutate({ email: account.email, password: PASSWORD });

    const second = createCryptwebClient({ url: server.url, tokenStore: fileTokenStore(file) });
    expect((await second.auth.me.query()).session.id).toBe(signIn.session.id);
    await second.auth.signOut.mutate();
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('a localStorage session is kept under its key in the browser storage', async () => {
    const storage = new MemoryStorage();
    vi.stubGlobal('localStorage', storage);
    const account = await verifiedAccount(server, 'Browser');
    const client = createCryptwebClient({ url: server.url, tokenStore: localStorageTokenStore() });
    const signIn = await client.auth.signIn.mutate({ email: account.email, password: PASSWORD });
    expect(JSON.parse(storage.getItem('cryptweb.tokens') ?? '')).toEqual({
      accessToken: signIn.accessToken,
      refreshToken: signIn.refreshToken,
    });
    expect((await client.auth.me.query()).user.email).toBe(account.email);
    await client.auth.signOut.mutate();
    expect(storage.length).toBe(0);
  });
});
