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

/** SPEC §6.1 "Browser app": what every answer under /app/ must carry. */
function expectSecurityHeaders(headers: Record<string, unknown>, socket: string, label: string) {
  const policy = String(headers['content-security-policy'] ?? '');
  const directives = new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...values]) => [name, values]),
  );
  expect(directives.get('default-src'), label).toEqual(["'self'"]);
  expect(directives.get('script-src'), label).toEqual(["'self'"]);
  expect(directives.get('connect-src'), label).toEqual(["'self'", socket]);
  expect(directives.get('img-src'), label).toEqual(["'self'", 'data:', 'blob:']);
  expect(directives.get('object-src'), label).toEqual(["'none'"]);
  expect(directives.get('frame-ancestors'), label).toEqual(["'none'"]);
  expect(directives.get('base-uri'), label).toEqual(["'none'"]);
  expect(directives.get('form-action'), label).toEqual(["'self'"]);
  // Nothing loosens it: no inline script, no eval, no wildcard source.
  expect(policy, label).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(headers['referrer-policy'], label).toBe('no-referrer');
  expect(headers['x-content-type-options'], label).toBe('nosniff');
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
      void serveApp(req, res, pathname, { appUrl: 'http://127.0.0.1:4000', root });
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

  it('sends the Content-Security-Policy and the other security headers with every answer', async () => {
    const answers = {
      page: await rawGet(base, '/app/'),
      asset: await rawGet(base, '/app/assets/app-abc123.js'),
      route: await rawGet(base, '/app/reset-password?token=abc'),
      missing: await rawGet(base, '/app/assets/missing.js'),
      malformed: await rawGet(base, '/app/%E0%A4%A'),
      redirect: await rawGet(base, '/app'),
    };
    expect(Object.values(answers).map((answer) => answer.status)).toEqual([
      200, 200, 200, 404, 400, 308,
    ]);
    for (const [label, answer] of Object.entries(answers)) {
      expectSecurityHeaders(answer.headers, 'ws://127.0.0.1:4000', label);
    }
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

describe('the server', () => {
  let app: TestServer;
  beforeAll(async () => {
    app = await startTestServer({ env: { APP_URL: 'https://cryptweb.example.test' } });
  });
  afterAll(() => app.stop());

  it('APP_URL/reset-password?token=… redirects to the web app’s reset page, token kept', async () => {
    const res = await rawGet(app.url, '/reset-password?token=abc-123');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/app/reset-password?token=abc-123');
  });

  it('lets the app connect to the WebSocket at APP_URL’s origin (wss:// for https://)', async () => {
    const res = await rawGet(app.url, '/app/devices');
    expectSecurityHeaders(res.headers, 'wss://cryptweb.example.test', '/app/devices');
  });
});
