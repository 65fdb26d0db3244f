import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, createApp, parseEnv } from '@cryptweb/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildWebApp, launchChromium, pageLog, screenshot } from './support/browser.js';
import {
  account,
  alertWith,
  heading,
  openNav,
  PASSWORD,
  type Site,
  signIn,
  signUp,
  verify,
} from './support/flows.js';
import { waitForMail } from './support/mailbox.js';

// Issue 7: the browser app, end to end in Debian's headless Chromium against the real server.

const NEW_PASSWORD = 'seven quiet harbours 1983';
const WIDE = { width: 1024, height: 800 };
const NARROW = { width: 390, height: 844 };

let app: App;
let url: string;
let dataDir: string;
let site: Site;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageLogs: string[][] = [];

async function newPage(label: string, viewport = WIDE): Promise<Page> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  pageLogs.push(pageLog(page, label));
  return page;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  // Fail first, and clearly, when the browser is missing: nothing here is skipped.
  browser = await launchChromium();
  await buildWebApp();
  dataDir = await mkdtemp(path.join(tmpdir(), 'cryptweb-web-'));
  const env = parseEnv({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    MAIL_TRANSPORT: 'file',
    // No STUN: host candidates on this machine's own addresses suffice; nothing leaves it.
    STUN_URLS: '',
    BCRYPT_COST: '4',
    JWT_SECRET: 'web-test-secret-that-is-at-least-32-bytes',
    LOG_LEVEL: 'warn',
    RATE_LIMITS: JSON.stringify({
      'signIn.ip': { max: 1000, windowSeconds: 60 },
      'signIn.emailIp': { max: 1000, windowSeconds: 60 },
      'signUp.ip': { max: 1000, windowSeconds: 60 },
      'verifyEmail.ip': { max: 1000, windowSeconds: 60 },
      'forgotPassword.email': { max: 1000, windowSeconds: 60 },
    }),
  });
  app = await createApp({ env });
  url = await app.listen();
  site = { url, dataDir };
});

afterEach((context) => {
  // A failed step prints what the pages logged (console errors, exceptions).
  if (context.task.result?.state === 'fail') {
    for (const lines of pageLogs) for (const line of lines) console.error(line);
  }
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await app?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the web app', () => {
  it('serves the app under /app/ and keeps GET / as the JSON of SPEC §3', async () => {
    const root = await fetch(`${url}/`);
    expect(await root.json()).toMatchObject({ name: 'cryptweb' });
    const page = await fetch(`${url}/app/devices`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
  });

  it('two browsers sign up, verify, sign in, send a 5 MiB file peer-to-peer, see it in their histories; B signs out its other device', async () => {
    const alice = account('Alice');
    const bob = account('Bob');
    const pageA = await newPage('A');
    const pageB = await newPage('B', NARROW);

    await Promise.all([
      (async () => {
        await signUp(site, pageA, alice, { weakFirst: true });
        await verify(site, pageA, alice, { wrongFirst: true });
        await signIn(pageA, alice, 'Alice laptop');
      })(),
      (async () => {
        await signUp(site, pageB, bob);
        await verify(site, pageB, bob);
        await signIn(pageB, bob, 'Bob phone');
      })(),
    ]);

    // The drop zone takes a dropped file (a synthetic drop, as a person's drag would fire).
    const dropped = await pageA.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['hello'], 'dropped.txt', { type: 'text/plain' }));
      return transfer;
    });
    await pageA.locator('.dropzone').dispatchEvent('drop', { dataTransfer: dropped });
    await pageA.getByText('Selected: dropped.txt').waitFor();

    const bytes = randomBytes(5 * 1024 * 1024);
    await pageA
      .getByLabel('Choose a file, or drag and drop one here')
      .setInputFiles({ name: 'random.bin', mimeType: 'application/octet-stream', buffer: bytes });
    await pageA.getByText('Selected: random.bin (5.0 MiB)').waitFor();

    // Nobody online at that address (unknown emails answer the same: no probing).
    await pageA.getByLabel('Recipient’s email').fill(`nobody.${process.pid}@example.test`);
    await pageA.getByRole('button', { name: 'Send', exact: true }).click();
    await alertWith(pageA, /is not online right now/);

    await pageA.getByLabel('Recipient’s email').fill(bob.email);
    await pageA.getByRole('button', { name: 'Send', exact: true }).click();
    await pageB.getByText('wants to send you a file').waitFor();
    await screenshot(pageB, '03-incoming-offer-narrow');
    const started = Date.now();
    await pageB.getByRole('button', { name: 'Accept' }).click();

    const save = pageB.getByRole('link', { name: 'Save random.bin' });
    await save.waitFor({ timeout: 60_000 });
    await pageA
      .getByText(/Sent random\.bin \(5\.0 MiB\) to .* The receiver checked its SHA-256/)
      .waitFor();
    const transferMs = Date.now() - started;
    await screenshot(pageA, '04-sent');
    await screenshot(pageB, '05-received-narrow');

    const [download] = await Promise.all([pageB.waitForEvent('download'), save.click()]);
    expect(download.suggestedFilename()).toBe('random.bin');
    const savedPath = await download.path();
    const saved = await readFile(savedPath);
    expect(saved.byteLength).toBe(bytes.byteLength);
    expect(sha256(saved)).toBe(sha256(bytes));
    console.info(
      `5 MiB browser-to-browser transfer: ${transferMs} ms from Accept to both sides done`,
    );

    // Presence: Alice now has Bob as a contact, online.
    await pageA
      .getByRole('list', { name: 'Contacts' })
      .getByRole('listitem')
      .filter({ hasText: 'Bob' })
      .filter({ hasText: 'online' })
      .waitFor();

    // Both histories show the transfer, with totals.
    await openNav(pageA, 'History');
    await pageA.getByRole('list', { name: 'Transfers' }).getByText('random.bin').waitFor();
    await pageA.getByText('1 file, 5.0 MiB').waitFor();
    await screenshot(pageA, '06-history');
    await openNav(pageB, 'History');
    await pageB.getByRole('list', { name: 'Transfers' }).getByText('random.bin').waitFor();
    await pageB.getByText('1 file, 5.0 MiB').waitFor();
    expect(await pageB.locator('.totals').textContent()).toMatch(/Received\s*1 file, 5\.0 MiB/);

    // Bob signs in on a second device; from the first, he signs that one out; it notices.
    const pageB2 = await newPage('B2');
    await pageB2.goto(`${url}/app/`);
    await signIn(pageB2, bob, 'Bob tablet');
    await openNav(pageB, 'Devices');
    const devices = pageB.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
    await devices.filter({ hasText: 'Bob tablet' }).waitFor();
    expect(await devices.count()).toBe(2);
    await screenshot(pageB, '07-devices-narrow');
    await pageB.getByRole('button', { name: 'Sign out Bob tablet' }).click();
    await pageB.getByText('Bob tablet is signed out.').waitFor();
    await alertWith(pageB2, /This device was signed out/);
    await heading(pageB2, 'Sign in');
    await screenshot(pageB2, '08-signed-out-elsewhere');
    expect(await devices.count()).toBe(1);
  });

  it('resets a forgotten password from the mailed link, changes it, and signs out everywhere else', async () => {
    const carol = account('Carol');
    const first = await newPage('C1');
    await signUp(site, first, carol);
    await verify(site, first, carol);
    await signIn(first, carol, 'Carol desktop');

    // A second browser asks for a reset link and opens it (APP_URL/reset-password redirects).
    const second = await newPage('C2', NARROW);
    await second.goto(`${url}/app/forgot-password`);
    await heading(second, 'Reset your password');
    await second.getByLabel('Email', { exact: true }).fill(carol.email);
    await second.getByRole('button', { name: 'Send reset link' }).click();
    await second.getByText('a reset link is on its way').waitFor();
    const mail = await waitForMail(dataDir, carol.email, 'reset-password');
    const link = `${url}/reset-password?token=${encodeURIComponent(mail.token ?? '')}`;
    await second.goto(link);
    expect(new URL(second.url()).pathname).toBe('/app/reset-password');
    await heading(second, 'Choose a new password');
    await second.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await second.getByLabel('Repeat the new password').fill(`${NEW_PASSWORD}!`);
    await second.getByRole('button', { name: 'Set new password' }).click();
    await alertWith(second, /passwords do not match/);
    await second.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await screenshot(second, '09-reset-password-narrow');
    await second.getByRole('button', { name: 'Set new password' }).click();
    await heading(second, 'Password changed');
    // The reset signed out every device: the first browser notices.
    await alertWith(first, /This device was signed out/);

    // The link works once.
    await second.goto(link);
    await second.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await second.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await second.getByRole('button', { name: 'Set new password' }).click();
    await alertWith(second, /already used/);

    // Sign in with the new password on both; change it from the second, with a wrong try first.
    await second.goto(`${url}/app/sign-in`);
    await signIn(second, carol, 'Carol phone', NEW_PASSWORD);
    await first.getByLabel('Email', { exact: true }).fill(carol.email);
    await signIn(first, carol, 'Carol desktop', NEW_PASSWORD);
    await openNav(second, 'Account');
    await second.getByLabel('Current password').fill('not my password');
    await second.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await second.getByLabel('Repeat the new password').fill(PASSWORD);
    await second.getByRole('button', { name: 'Change password' }).click();
    await alertWith(second, /current password is not right/);
    await second.getByLabel('Current password').fill(NEW_PASSWORD);
    await second.getByRole('button', { name: 'Change password' }).click();
    await second.getByText('Password changed. Your other devices were signed out').waitFor();
    await screenshot(second, '10-account-narrow');
    await alertWith(first, /This device was signed out/);

    // "Sign out everywhere else" from the devices page.
    await signIn(first, carol, 'Carol desktop');
    await openNav(second, 'Devices');
    await second.getByRole('listitem').filter({ hasText: 'Carol desktop' }).waitFor();
    await second.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await second.getByText('Signed out 1 other device.').waitFor();
    await alertWith(first, /This device was signed out/);
    // The second browser is still signed in.
    await openNav(second, 'Send', 'Send a file');
  });
});
