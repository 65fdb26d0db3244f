import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, createApp, parseEnv } from '@cryptweb/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import {
  buildWebApp,
  launchChromium,
  pageLog,
  type SecurityWatch,
  watchSecurity,
} from './browser.js';
import type { Site } from './flows.js';

const WIDE = { width: 1024, height: 800 };

/** A port free right now, so APP_URL (the WebSocket origin the CSP allows) can name it. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** SPEC §6.1: the headers every page of the app comes with. */
export function expectAppHeaders(url: string, headers: Record<string, string>) {
  const policy = headers['content-security-policy'] ?? '';
  for (const directive of [
    "default-src 'self'",
    "script-src 'self'",
    `connect-src 'self' ${url.replace(/^http/, 'ws')}`,
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ]) {
    expect(policy).toContain(directive);
  }
  expect(policy).not.toContain('unsafe-');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-content-type-options']).toBe('nosniff');
}

/**
 * One test file's world: Debian's Chromium, the built app, and the real server on a fresh PGlite
 * in a temporary DATA_DIR (the `file` mail transport writes there).
 */
export interface Harness {
  site: Site;
  /** The server, for what a test must arrange directly in its database. */
  app: App;
  /** A new browser (its own cookies), watched for CSP violations and console errors. */
  newPage(label: string, viewport?: { width: number; height: number }): Promise<Page>;
  /** Another tab of the same browser (same cookies) as `page`. */
  newTab(page: Page, label: string): Promise<Page>;
  /** The watches of the pages opened since the last `resetWatches`. */
  watches: SecurityWatch[];
  resetWatches(): void;
  /** No page raised a CSP violation, and every page of the app came with the security headers. */
  expectCleanPages(): void;
  /** What every page logged: printed when a test fails. */
  logs(): string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  /**
   * The host in APP_URL (and so the pages' origin). WebAuthn refuses IP addresses as RP ID:
   * passkey tests run on `localhost`.
   */
  host?: '127.0.0.1' | 'localhost';
  /**
   * ADMIN_EMAILS: these accounts become admins once verified (SPEC §10). The server reads it at
   * start, so a test names its admins' addresses before the harness starts.
   */
  adminEmails?: string[];
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  // Fail first, and clearly, when the browser is missing: nothing here is skipped.
  const browser: Browser = await launchChromium();
  await buildWebApp();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cryptweb-web-'));
  const port = await freePort();
  const env = parseEnv({
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_URL: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    DATA_DIR: dataDir,
    MAIL_TRANSPORT: 'file',
    // No STUN: host candidates on this machine's own addresses suffice; nothing leaves it.
    STUN_URLS: '',
    BCRYPT_COST: '4',
    JWT_SECRET: 'web-test-secret-that-is-at-least-32-bytes',
    LOG_LEVEL: 'warn',
    ADMIN_EMAILS: (opts.adminEmails ?? []).join(','),
    RATE_LIMITS: JSON.stringify({
      'signIn.ip': { max: 1000, windowSeconds: 60 },
      'signIn.emailIp': { max: 1000, windowSeconds: 60 },
      'signUp.ip': { max: 1000, windowSeconds: 60 },
      'verifyEmail.ip': { max: 1000, windowSeconds: 60 },
      'forgotPassword.email': { max: 1000, windowSeconds: 60 },
      'passkeyOptions.ip': { max: 1000, windowSeconds: 60 },
    }),
  });
  const app: App = await createApp({ env });
  await app.listen();
  const url = env.APP_URL.replace(/\/$/, '');

  const contexts: BrowserContext[] = [];
  const pageLogs: string[][] = [];
  const watches: SecurityWatch[] = [];

  const watch = async (page: Page, label: string) => {
    page.setDefaultTimeout(20_000);
    pageLogs.push(pageLog(page, label));
    watches.push(await watchSecurity(page, label));
    return page;
  };

  return {
    site: { url, dataDir },
    app,
    watches,
    async newPage(label, viewport = WIDE) {
      const context = await browser.newContext({ viewport, acceptDownloads: true });
      contexts.push(context);
      return watch(await context.newPage(), label);
    },
    async newTab(page, label) {
      return watch(await page.context().newPage(), label);
    },
    resetWatches() {
      watches.length = 0;
    },
    expectCleanPages() {
      for (const { violations, documents } of watches) {
        expect(violations).toEqual([]);
        expect(documents.length).toBeGreaterThan(0);
        for (const document of documents) expectAppHeaders(url, document.headers);
      }
    },
    logs: () => pageLogs.flat(),
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Gives a test file its harness: started before its tests (`ready` receives it), the pages' logs
 * printed when a test fails, watches reset between tests, everything closed after.
 */
export function harnessForFile(ready: (harness: Harness) => void, opts: HarnessOptions = {}) {
  let harness: Harness | undefined;
  beforeAll(async () => {
    harness = await startHarness(opts);
    ready(harness);
  });
  afterEach((context) => {
    if (context.task.result?.state === 'fail') {
      for (const line of harness?.logs() ?? []) console.error(line);
    }
    harness?.resetWatches();
  });
  afterAll(async () => {
    await harness?.close();
  });
}
