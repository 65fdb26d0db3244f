import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { blobTypeOf, REPO_ROOT, readableByScript, screenshot } from './support/browser.js';
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
import { expectAppHeaders, type Harness, harnessForFile } from './support/harness.js';
import { waitForMail } from './support/mailbox.js';

// Issue 7: the browser app, end to end in Debian's headless Chromium against the real server.

const NEW_PASSWORD = 'seven quiet harbours 1983';
const NARROW = { width: 390, height: 844 };

let harness: Harness;
let url: string;
let dataDir: string;
let site: Site;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * SPEC §6.1: the session's tokens are in HttpOnly cookies, and nowhere page script can read them:
 * not in `document.cookie`, not in localStorage or sessionStorage.
 */
async function expectNoReadableToken(page: Page) {
  const cookies = await page.context().cookies();
  const tokens = cookies.filter((c) => c.name === 'accessToken' || c.name === 'refreshToken');
  expect(tokens.map((c) => `${c.name} httpOnly=${c.httpOnly}`).sort()).toEqual([
    'accessToken httpOnly=true',
    'refreshToken httpOnly=true',
  ]);
  const readable = await readableByScript(page);
  for (const [place, text] of Object.entries(readable)) {
    for (const token of tokens)
      expect(text, `${token.name} in ${place}`).not.toContain(token.value);
    expect(text, place).not.toMatch(/accessToken|refreshToken|eyJ/);
  }
}

harnessForFile((started) => {
  harness = started;
  site = started.site;
  ({ url, dataDir } = site);
});

describe('the web app', () => {
  it('serves the app under /app/ and keeps GET / as the JSON of SPEC §3', async () => {
    const root = await fetch(`${url}/`);
    expect(await root.json()).toMatchObject({ name: 'cryptweb' });
    const page = await fetch(`${url}/app/devices`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const headers: Record<string, string> = {};
    page.headers.forEach((value, name) => {
      headers[name] = value;
    });
    expectAppHeaders(url, headers);
  });

  it('builds a page that runs under the CSP: no inline script, handler or style attribute', async () => {
    const html = await readFile(path.join(REPO_ROOT, 'apps/web/dist/index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes = '', body = ''] of scripts) {
      expect(attributes).toMatch(/\ssrc="\/app\/assets\/[^"]+\.js"/);
      expect(body.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/<style\b/i);

    // In the browser, the policy holds: a script injected inline does not run, and is reported.
    const page = await harness.newPage('CSP');
    const response = await page.goto(`${url}/app/sign-in`);
    expectAppHeaders(url, response?.headers() ?? {});
    await heading(page, 'Sign in');
    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.injectedRan = true';
      document.head.append(script);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return (window as unknown as { injectedRan?: boolean }).injectedRan === true;
    });
    expect(ran).toBe(false);
    await expect.poll(() => harness.watches.at(-1)?.violations.length).toBeGreaterThan(0);
    expect(harness.watches.at(-1)?.violations.join('\n')).toMatch(/script-src/);
  });

  it('two browsers sign up, verify, sign in, send a 5 MiB file peer-to-peer, see it in their histories; B signs out its other device', async () => {
    const alice = account('Alice');
    const bob = account('Bob');
    const pageA = await harness.newPage('A');
    const pageB = await harness.newPage('B', NARROW);

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
    await expectNoReadableToken(pageA);
    await expectNoReadableToken(pageB);

    // The drop zone takes a dropped file (a synthetic drop, as a person's drag would fire).
    const dropped = await pageA.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['hello'], 'dropped.txt', { type: 'text/plain' }));
      return transfer;
    });
    await pageA.locator('.dropzone').dispatchEvent('drop', { dataTransfer: dropped });
    await pageA.getByText('Selected: dropped.txt').waitFor();

    const bytes = randomBytes(5 * 1024 * 1024);
    // The sender's browser calls it HTML: the receiver must still only ever save it.
    await pageA
      .getByLabel('Choose a file, or drag and drop one here')
      .setInputFiles({ name: 'random.bin', mimeType: 'text/html', buffer: bytes });
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

    // A download of plain bytes, never a page of the app's origin (SPEC §6.1).
    const href = (await save.getAttribute('href')) ?? '';
    expect(href).toMatch(/^blob:/);
    expect(await blobTypeOf(pageB, href)).toBe('application/octet-stream');
    expect(await save.getAttribute('download')).toBe('random.bin');
    expect(await save.getAttribute('target')).toBeNull();
    expect(await pageB.locator('iframe, object, embed').count()).toBe(0);
    const pagesBefore = pageB.context().pages().length;
    const [download] = await Promise.all([pageB.waitForEvent('download'), save.click()]);
    expect(pageB.context().pages().length).toBe(pagesBefore);
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
    const pageB2 = await harness.newPage('B2');
    await pageB2.goto(`${url}/app/`);
    // Tokens an earlier version of the app left in localStorage are deleted when it starts.
    await pageB2.evaluate(() =>
      localStorage.setItem('cryptweb.tokens', '{"accessToken":"old","refreshToken":"old"}'),
    );
    await pageB2.reload();
    await heading(pageB2, 'Sign in');
    expect(await pageB2.evaluate(() => localStorage.getItem('cryptweb.tokens'))).toBeNull();
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

    // The session lives in the cookies: a reload stays signed in (auth.me says who), and
    // signing out clears them, so a reload then stays signed out.
    await pageA.reload();
    await heading(pageA, 'History');
    await pageA.getByRole('button', { name: 'Sign out' }).click();
    await heading(pageA, 'Sign in');
    await pageA.getByText('You are signed out of this device.').waitFor();
    const left = await pageA.context().cookies();
    expect(left.filter((c) => c.name === 'accessToken' || c.name === 'refreshToken')).toEqual([]);
    await pageA.reload();
    await heading(pageA, 'Sign in');

    harness.expectCleanPages();
  });

  it('tabs of one browser share the cookie session: signed in on opening, out and in together', async () => {
    const dave = account('Dave');
    const first = await harness.newPage('D1');
    await signUp(site, first, dave);
    await verify(site, first, dave);
    await signIn(first, dave, 'Dave laptop');

    // A new tab holds no token of its own: the server recognises the browser by its cookies.
    const second = await harness.newTab(first, 'D2');
    await second.goto(`${url}/app/`);
    await heading(second, 'Send a file');
    await second.getByText('This device is online').waitFor();
    await expectNoReadableToken(second);

    await first.getByRole('button', { name: 'Sign out' }).click();
    await heading(first, 'Sign in');
    await second.getByText('You signed out in another tab.').waitFor();
    await heading(second, 'Sign in');

    await signIn(first, dave, 'Dave laptop');
    await heading(second, 'Send a file');
    await second.getByText('This device is online').waitFor();
    harness.expectCleanPages();
  });

  it('resets a forgotten password from the mailed link, changes it, and signs out everywhere else', async () => {
    const carol = account('Carol');
    const first = await harness.newPage('C1');
    await signUp(site, first, carol);
    await verify(site, first, carol);
    await signIn(first, carol, 'Carol desktop');

    // A second browser asks for a reset link and opens it (APP_URL/reset-password redirects).
    const second = await harness.newPage('C2', NARROW);
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
    await expectNoReadableToken(second);
    await first.getByLabel('Email', { exact: true }).fill(carol.email);
    await signIn(first, carol, 'Carol desktop', NEW_PASSWORD);
    await openNav(second, 'Account');
    // The Account page asks for the current password in several forms: this is the password's.
    const passwordForm = second.getByRole('region', { name: 'Change password' });
    await passwordForm.getByLabel('Current password').fill('not my password');
    await passwordForm.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await passwordForm.getByLabel('Repeat the new password').fill(PASSWORD);
    await passwordForm.getByRole('button', { name: 'Change password' }).click();
    await alertWith(second, /current password is not right/);
    await passwordForm.getByLabel('Current password').fill(NEW_PASSWORD);
    await passwordForm.getByRole('button', { name: 'Change password' }).click();
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
    harness.expectCleanPages();
  });
});
