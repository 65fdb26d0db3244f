import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveApp } from '../src/static.js';
import { startTestServer, type TestServer } from './support/server.js';

/** A raw GET, so paths like /app/%2e%2e/ reach the server exactly as written. */
function rawGet(base: string, pathname: string) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = request(`${base}${pathname}`, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('the web app under /app/', () => {
  let dir: string;
  let root: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cryptweb-static-'));
    root = path.join(dir, 'dist');
    await mkdir(path.join(root, 'assets'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), '<!doctype html><title>CryptWeb</title>');
    await writeFile(path.join(root, 'assets', 'app-abc123.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'secret.txt'), 'outside the build');
    server = createServer((req, res) => {
      const { pathname } = new URL(req.url ?? '/', 'http://x');
      void serveApp(req, res, pathname, root);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html, assets with long caching, and index.html for client routes', async () => {
    const index = await rawGet(base, '/app/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.body).toContain('<title>CryptWeb</title>');

    const asset = await rawGet(base, '/app/assets/app-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect(asset.headers['cache-control']).toContain('immutable');

    const route = await rawGet(base, '/app/reset-password?token=abc');
    expect(route.status).toBe(200);
    expect(route.body).toContain('<title>CryptWeb</title>');

    expect((await rawGet(base, '/app/assets/missing.js')).status).toBe(404);
    expect((await rawGet(base, '/app')).status).toBe(308);
  });

  it('never serves a file outside the build folder', async () => {
    for (const attempt of [
      '/app/../secret.txt',
      '/app/%2e%2e/secret.txt',
      '/app/..%2fsecret.txt',
      '/app/%2e%2e%2fsecret.txt',
    ]) {
      const res = await rawGet(base, attempt);
      expect(res.body, attempt).not.toContain('outside the build');
    }
    expect((await rawGet(base, '/app/%E0%A4%A')).status).toBe(400);
  });
});

describe('reset links', () => {
  let app: TestServer;
  beforeAll(async () => {
    app = await startTestServer();
  });
  afterAll(() => app.stop());

  it('APP_URL/reset-password?token=… redirects to the web app’s reset page, token kept', async () => {
    const res = await rawGet(app.url, '/reset-password?token=abc-123');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/app/reset-password?token=abc-123');
  });
});
