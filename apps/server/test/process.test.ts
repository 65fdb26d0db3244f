import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Json } from './support/http.js';
import { spawnServer } from './support/process.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'cryptweb-proc-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** Polls `check` every 20 ms until it holds (a positive event, with a deadline). */
async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The first line of the file mail transport's output of `kind`, once it is there. */
async function waitForLine(file: string, kind: string): Promise<Json> {
  let found: Json;
  const deadline = Date.now() + 10_000;
  while (!found && Date.now() < deadline) {
    const text = await readFile(file, 'utf8').catch(() => '');
    found = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Json)
      .find((mail) => mail.kind === kind);
    if (!found) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!found) throw new Error(`no ${kind} mail in ${file}`);
  return found;
}

describe('the server process', () => {
  it('refuses to start on bad configuration, naming every bad variable', async () => {
    const proc = spawnServer({
      PORT: 'x',
      BCRYPT_COST: '99',
      CORS_ORIGINS: 'not a url',
      DATA_DIR: dataDir,
    });
    const { code } = await proc.exited;
    expect(code).toBe(1);
    const output = proc.output();
    expect(output).toContain('Invalid configuration');
    for (const name of ['PORT', 'BCRYPT_COST', 'CORS_ORIGINS']) expect(output).toContain(name);
  });

  it('starts on PGlite, and on SIGTERM closes sockets and exits 0 within 10 s', async () => {
    const proc = spawnServer({ PORT: '0', DATA_DIR: dataDir });
    const url = await proc.ready;
    const health = await fetch(`${url}/trpc/health.check`).then((r) => r.json() as Promise<Json>);
    expect(health.result.data.json.database).toMatchObject({ status: 'healthy', driver: 'pglite' });

    const ws = new WebSocket(`${url.replace('http', 'ws')}/trpc`);
    await new Promise((resolve) => ws.once('open', resolve));
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    const started = Date.now();
    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await wsClosed).toBe(1012);
  });

  it('SIGTERM with a request in flight and an open subscription: refuses new connections, answers the request, ends the subscription with a reconnect, closes the database, exits 0', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cryptweb-sigterm-'));
    const proc = spawnServer({ PORT: '0', DATA_DIR: dir, BCRYPT_COST: '4' });
    try {
      const url = await proc.ready;
      const call = async (procedure: string, input: unknown) => {
        const res = await fetch(`${url}/trpc/${procedure}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ json: input }),
        });
        return (await res.json()) as Json;
      };
      const email = 'sigterm@example.test';
      const password = 'a long enough passphrase';
      await call('auth.signUp', { name: 'Term', email, password });
      const mail = await waitForLine(path.join(dir, 'mail.jsonl'), 'verify-email');
      await call('auth.verifyEmail', { email, code: mail.code });
      const signedIn = await call('auth.signIn', { email, password });
      const accessToken: string = signedIn.result.data.json.accessToken;

      // An open subscription, ready.
      const ws = new WebSocket(`${url.replace('http', 'ws')}/trpc?connectionParams=1`);
      const frames: Json[] = [];
      ws.on('message', (data) => frames.push(JSON.parse(String(data))));
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(JSON.stringify({ method: 'connectionParams', data: { accessToken } }));
      ws.send(
        JSON.stringify({
          id: 1,
          method: 'subscription',
          params: { path: 'signaling.events', input: { json: null } },
        }),
      );
      await until(() => frames.some((f) => f.result?.data?.json?.type === 'ready'));
      const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

      // A request in flight: the server has parsed its headers (it answered 100 Continue), its
      // body follows only after the signal.
      const body = JSON.stringify({ json: { email, password } });
      const inFlight = request(`${url}/trpc/auth.signIn`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          expect: '100-continue',
        },
      });
      const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
        inFlight.once('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
          });
          res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        inFlight.once('error', reject);
      });
      const continued = new Promise((resolve) => inFlight.once('continue', resolve));
      inFlight.flushHeaders();
      await continued;

      const started = Date.now();
      proc.child.kill('SIGTERM');
      await until(() => proc.output().includes('shutting down'));
      // No new connection is accepted once shutting down.
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
      // The subscription is told to reconnect elsewhere and its socket closes with 1012.
      expect(await wsClosed).toBe(1012);
      expect(frames.some((f) => f.method === 'reconnect')).toBe(true);
      // The request in flight is finished and answered.
      inFlight.end(body);
      const answered = await response;
      expect(answered.status).toBe(200);
      expect(JSON.parse(answered.text).result.data.json.session.id).toMatch(/^[0-9a-f-]{36}$/);

      const { code } = await proc.exited;
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      // The database was closed before the process said it stopped, and the last line is flushed.
      const lines = proc.output().trim().split('\n');
      expect(lines.at(-1)).toContain('"msg":"stopped"');
      expect(proc.output()).not.toContain('database close failed');
    } finally {
      proc.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps its data in DATA_DIR across restarts (migrations are not re-run from scratch)', async () => {
    const first = spawnServer({ PORT: '0', DATA_DIR: dataDir });
    await first.ready;
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const second = spawnServer({ PORT: '0', DATA_DIR: dataDir });
    const url = await second.ready;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});
