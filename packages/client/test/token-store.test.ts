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
import { PASSWORD, signedIn, verifiedAccount } from './support/accounts.js';
import { startServer, type TestServer } from './support/server.js';

const tokens = { accessToken: 'access.token.one', refreshToken: 'refresh-one' };
const others = { accessToken: 'access.token.two', refreshToken: 'refresh-two' };
const DEVICE = '6f1c8a52-3a1e-4c6b-9d7e-0b2f4e5a6c7d';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Every device.id the client sent on auth.signIn, in order, read off the wire. */
function signInDevices() {
  const sent: { id?: unknown; name?: unknown }[] = [];
  const recording: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).pathname === '/trpc/auth.signIn') {
      const batch = JSON.parse(await request.clone().text()) as Record<
        string,
        { json: { device?: { id?: unknown; name?: unknown } } }
      >;
      for (const call of Object.values(batch)) sent.push(call.json.device ?? {});
    }
    return fetch(request);
  };
  return { fetch: recording, sent };
}

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

  it('keeps the device id across sign-outs', async () => {
    const store = memoryTokenStore();
    expect(await store.getDeviceId?.()).toBeNull();
    await store.setDeviceId?.(DEVICE);
    await store.set(tokens);
    await store.set(null);
    expect(await store.get()).toBeNull();
    expect(await store.getDeviceId?.()).toBe(DEVICE);
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
    storage.setItem('cryptweb.tokens', JSON.stringify({ ...tokens, deviceId: 'not-a-uuid' }));
    expect(await store.getDeviceId?.()).toBeNull();
    expect(await store.get()).toEqual(tokens);
  });

  it('keeps the device id with the tokens, and alone after sign-out', async () => {
    const store = localStorageTokenStore();
    await store.setDeviceId?.(DEVICE);
    await store.set(tokens);
    expect(JSON.parse(storage.getItem('cryptweb.tokens') ?? '')).toEqual({
      ...tokens,
      deviceId: DEVICE,
    });
    await store.set(null);
    expect(JSON.parse(storage.getItem('cryptweb.tokens') ?? '')).toEqual({ deviceId: DEVICE });
    expect(await store.get()).toBeNull();
    expect(await localStorageTokenStore().getDeviceId?.()).toBe(DEVICE);
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

  it('keeps the device id in the same 0600 file, and alone after sign-out', async () => {
    const file = path.join(dir, 'device', 'tokens.json');
    const store = fileTokenStore(file);
    expect(await store.getDeviceId?.()).toBeNull();
    await store.setDeviceId?.(DEVICE);
    await store.set(tokens);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ ...tokens, deviceId: DEVICE });
    expect(await fileTokenStore(file).getDeviceId?.()).toBe(DEVICE);

    await store.set(null);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ deviceId: DEVICE });
    expect(await fileTokenStore(file).get()).toBeNull();
    expect(await fileTokenStore(file).getDeviceId?.()).toBe(DEVICE);
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
    const signIn = signedIn(
      await first.auth.signIn.mutate({ email: account.email, password: PASSWORD }),
    );

    const second = createCryptwebClient({ url: server.url, tokenStore: fileTokenStore(file) });
    expect((await second.auth.me.query()).session.id).toBe(signIn.session.id);
    await second.auth.signOut.mutate();
    // No token is left on disk; the device id stays for the next sign-in.
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      deviceId: signIn.session.deviceId,
    });
    expect(await fileTokenStore(file).get()).toBeNull();
  });

  // SPEC §6.1 "Known devices": the SDK names its device on every sign-in, from its token store.
  it('sends a device id kept in the file on every sign-in, from one process to the next', async () => {
    const account = await verifiedAccount(server, 'Device');
    const file = path.join(dir, 'device.json');
    const wire = signInDevices();
    const first = createCryptwebClient({
      url: server.url,
      tokenStore: fileTokenStore(file),
      fetch: wire.fetch,
    });
    const signIn = signedIn(
      await first.auth.signIn.mutate({
        email: account.email,
        password: PASSWORD,
        device: { name: 'build box' },
      }),
    );
    // A new id, made before the first sign-in; then the one the server answered is kept.
    expect(wire.sent[0]).toEqual({ id: expect.stringMatching(UUID), name: 'build box' });
    expect(await fileTokenStore(file).getDeviceId?.()).toBe(signIn.session.deviceId);
    const [session] = await first.sessions.list.query();
    expect(session?.device.name).toBe('build box');
    await first.auth.signOut.mutate();

    // A later run (a new client on the same file) signs in as the same device.
    const second = createCryptwebClient({
      url: server.url,
      tokenStore: fileTokenStore(file),
      fetch: wire.fetch,
    });
    await second.auth.signIn.mutate({ email: account.email, password: PASSWORD });
    expect(wire.sent[1]).toEqual({ id: signIn.session.deviceId });
    await second.auth.signOut.mutate();

    // A caller's own device id is sent as given.
    await second.auth.signIn.mutate({
      email: account.email,
      password: PASSWORD,
      device: { id: DEVICE },
    });
    expect(wire.sent[2]).toEqual({ id: DEVICE });
    await second.auth.signOut.mutate();
  });

  it('a memory store keeps its device id for every sign-in of the process', async () => {
    const account = await verifiedAccount(server, 'Memory');
    const store = memoryTokenStore();
    const wire = signInDevices();
    const client = createCryptwebClient({ url: server.url, tokenStore: store, fetch: wire.fetch });
    const signIn = signedIn(
      await client.auth.signIn.mutate({ email: account.email, password: PASSWORD }),
    );
    await client.auth.signOut.mutate();
    const again = signedIn(
      await client.auth.signIn.mutate({ email: account.email, password: PASSWORD }),
    );
    expect(wire.sent.map((device) => device.id)).toEqual([
      expect.stringMatching(UUID),
      signIn.session.deviceId,
    ]);
    expect(await store.getDeviceId?.()).toBeTruthy();
    // The server takes the id (SPEC §6.1 known devices): both sessions are one device.
    expect(signIn.session.deviceId).toBe(wire.sent[0]?.id);
    expect(again.session.deviceId).toBe(signIn.session.deviceId);
  });

  it('a localStorage session is kept under its key in the browser storage', async () => {
    const storage = new MemoryStorage();
    vi.stubGlobal('localStorage', storage);
    const account = await verifiedAccount(server, 'Browser');
    const client = createCryptwebClient({ url: server.url, tokenStore: localStorageTokenStore() });
    const signIn = signedIn(
      await client.auth.signIn.mutate({ email: account.email, password: PASSWORD }),
    );
    expect(JSON.parse(storage.getItem('cryptweb.tokens') ?? '')).toEqual({
      accessToken: signIn.accessToken,
      refreshToken: signIn.refreshToken,
      deviceId: signIn.session.deviceId,
    });
    expect((await client.auth.me.query()).user.email).toBe(account.email);
    await client.auth.signOut.mutate();
    expect(JSON.parse(storage.getItem('cryptweb.tokens') ?? '')).toEqual({
      deviceId: signIn.session.deviceId,
    });
    expect(storage.length).toBe(1);
  });
});
