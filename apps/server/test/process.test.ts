import { mkdtemp, rm } from 'node:fs/promises';
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
