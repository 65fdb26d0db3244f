import { readFile } from 'node:fs/promises';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Authenticator } from './support/authenticator.js';
import { screenshot } from './support/browser.js';
import {
  type Account,
  alertWith,
  heading,
  openNav,
  signedUpAndIn,
  signIn,
  signInToSecondStep,
} from './support/flows.js';
import { type Harness, harnessForFile } from './support/harness.js';

// Issue 13: two-factor authentication in the browser app (TOTP and recovery codes, SPEC §9), in
// Debian's headless Chromium against the real server.

let harness: Harness;

harnessForFile((started) => {
  harness = started;
});

/** A new account, signed in on a fresh browser, on its Security page. */
async function signedInOnSecurity(name: string): Promise<{ page: Page; who: Account }> {
  const signedIn = await signedUpAndIn(harness, name);
  await openNav(signedIn.page, 'Security');
  return signedIn;
}

/** Clicks `button` and waits for the answer of the tRPC call `procedure` it makes. */
async function submit(page: Page, button: Locator, procedure: string) {
  await Promise.all([
    page.waitForResponse((response) => new URL(response.url()).pathname.includes(procedure)),
    button.click(),
  ]);
}

/** The key under the QR code, and an authenticator holding it, after "Set up authenticator app". */
async function readKey(page: Page): Promise<{ key: string; app: Authenticator }> {
  const key = ((await page.locator('.secret').textContent()) ?? '').replace(/\s/g, '');
  expect(key).toMatch(/^[A-Z2-7]{16,}$/);
  return { key, app: new Authenticator(key) };
}

/** The recovery codes on screen. */
async function readCodes(page: Page): Promise<string[]> {
  return page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents();
}

/** Signs out, then in with the password and `code` on the second step. */
async function signInWithCode(page: Page, who: Account, code: string) {
  await signInToSecondStep(page, who);
  await page.getByLabel('Authentication code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
}

describe('two-factor authentication in the web app', () => {
  it('turns on an authenticator app from its QR code and key, shows the recovery codes once, and signs in with a code, then a recovery code', async () => {
    const { page, who } = await signedInOnSecurity('Erin');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: harness.site.url,
    });
    const status = page.locator('.totals');
    await expect.poll(() => status.textContent()).toMatch(/Two-factor authentication\s*Off/);

    // A wrong password first: INVALID_CREDENTIALS speaks of the current password.
    await page.getByLabel('Current password').fill('not my password');
    await page.getByRole('button', { name: 'Set up authenticator app' }).click();
    await alertWith(page, /current password is not right/);
    await page.getByLabel('Current password').fill(who.password);
    await page.getByRole('button', { name: 'Set up authenticator app' }).click();

    // The QR code is drawn in the page (a data: image the CSP allows) and holds the same key.
    const qr = page.getByRole('img', { name: 'QR code to scan with your authenticator app' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await expect
      .poll(() => qr.evaluate((image: HTMLImageElement) => image.naturalWidth))
      .toBeGreaterThan(0);
    const { key, app } = await readKey(page);
    const uri = await page
      .getByRole('link', { name: 'Open in an authenticator app on this device' })
      .getAttribute('href');
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(uri ?? '').searchParams.get('secret')).toBe(key);
    await screenshot(page, '11-totp-enrol');

    await page.getByLabel('Code from the app').fill(app.wrong());
    await submit(page, page.getByRole('button', { name: 'Turn on' }), 'mfa.totp.confirm');
    await alertWith(page, /code is not right/);
    await page.getByLabel('Code from the app').fill(app.next());
    await page.getByRole('button', { name: 'Turn on' }).click();

    await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    await page.getByText('Store these codes now.').waitFor();
    const codes = await readCodes(page);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await screenshot(page, '12-recovery-codes');

    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied.').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    for (const code of codes) expect(copied).toContain(code);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('cryptweb-recovery-codes.txt');
    const file = await readFile(await download.path(), 'utf8');
    expect(file.trim().split('\n').slice(-10)).toEqual(codes);

    await page.getByRole('button', { name: 'I have stored them' }).click();
    await expect.poll(() => readCodes(page)).toEqual([]);
    await expect.poll(() => status.textContent()).toMatch(/Two-factor authentication\s*On/);
    await expect.poll(() => status.textContent()).toMatch(/Recovery codes left\s*10/);

    // Sign-in now has a second step: a code of the app.
    await signInWithCode(page, who, app.next());
    await heading(page, 'Security');
    await page.getByText('Recovery codes left').waitFor();

    // And a recovery code does too, once; spaces and capitals do not matter.
    await signInWithCode(page, who, codes[0] ?? '');
    await heading(page, 'Security');
    await signInWithCode(page, who, codes[0] ?? '');
    await alertWith(page, /code is not right/);
    await page.getByLabel('Authentication code').fill(` ${(codes[1] ?? '').toUpperCase()} `);
    await page.getByRole('button', { name: 'Verify' }).click();
    await heading(page, 'Security');
    await expect.poll(() => status.textContent()).toMatch(/Recovery codes left\s*8/);

    // New recovery codes: shown the same way; the old ones no longer work.
    const renew = page.getByRole('region', { name: 'New recovery codes' });
    await renew.getByLabel('Current password').fill(who.password);
    await renew.getByLabel('Authentication code').fill(app.next());
    await renew.getByRole('button', { name: 'Make new recovery codes' }).click();
    await page.getByText('The old ones no longer work').waitFor();
    const fresh = await readCodes(page);
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => codes.includes(code))).toEqual([]);
    await page.getByRole('button', { name: 'I have stored them' }).click();
    await expect.poll(() => status.textContent()).toMatch(/Recovery codes left\s*10/);

    // Turning it off takes the password and a code; an old recovery code is refused.
    const off = page.getByRole('region', { name: 'Turn off two-factor authentication' });
    await off.getByLabel('Current password').fill(who.password);
    await off.getByLabel('Authentication code').fill(codes[2] ?? '');
    await submit(page, off.getByRole('button', { name: 'Turn off' }), 'mfa.totp.disable');
    await alertWith(page, /code is not right/);
    await off.getByLabel('Current password').fill(who.password);
    await off.getByLabel('Authentication code').fill(fresh[0] ?? '');
    await off.getByRole('button', { name: 'Turn off' }).click();
    await page.getByText('Two-factor authentication is off.').waitFor();
    // The status is read again after the notice: wait for that answer, as above.
    await expect.poll(() => status.textContent()).toMatch(/Two-factor authentication\s*Off/);

    // Sign-in is back to the password alone.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${harness.site.url}/app/sign-in`);
    await signIn(page, who, 'Erin laptop');
    harness.expectCleanPages();
  });

  it('follows a change made in another tab, and waits out too many wrong codes', async () => {
    const { page: first, who } = await signedInOnSecurity('Frank');
    const second = await harness.newTab(first, 'Frank 2');
    await second.goto(`${harness.site.url}/app/security`);
    await heading(second, 'Security');

    // Both tabs start an enrolment; the second one's replaces the first's, and is confirmed.
    for (const tab of [first, second]) {
      await tab.getByLabel('Current password').fill(who.password);
      await tab.getByRole('button', { name: 'Set up authenticator app' }).click();
      await tab.locator('.secret').waitFor();
    }
    const { app: stale } = await readKey(first);
    const { app } = await readKey(second);
    await second.getByLabel('Code from the app').fill(app.next());
    await second.getByRole('button', { name: 'Turn on' }).click();
    await second.getByRole('heading', { name: 'Your recovery codes' }).waitFor();

    // The first tab's enrolment is gone (MFA_NOT_PENDING): back to the password, which then
    // finds two-factor already on (MFA_ALREADY_ENABLED) and shows the account as it now is.
    await first.getByLabel('Code from the app').fill(stale.next());
    await first.getByRole('button', { name: 'Turn on' }).click();
    await alertWith(first, /Start setting up your authenticator app first/);
    await first.getByLabel('Current password').fill(who.password);
    await first.getByRole('button', { name: 'Set up authenticator app' }).click();
    await first.getByText('Two-factor authentication is already on').waitFor();
    await expect
      .poll(() => first.locator('.totals').textContent())
      .toMatch(/Two-factor authentication\s*On/);

    // Wrong codes count against the account (SPEC §6.1 `reauth.user`); then the form waits.
    const off = first.getByRole('region', { name: 'Turn off two-factor authentication' });
    const button = off.getByRole('button', { name: /Turn off|Wait/ });
    for (let attempt = 1; attempt <= 8; attempt++) {
      await off.getByLabel('Current password').fill(who.password);
      await off.getByLabel('Authentication code').fill(app.wrong());
      await submit(first, button, 'mfa.totp.disable');
      // The answer is in; the form shows it once it is no longer busy.
      await expect.poll(() => button.textContent()).not.toBe('Turning off…');
      const alert = (await off.getByRole('alert').textContent()) ?? '';
      if (/Too many attempts/.test(alert)) break;
      expect(alert).toMatch(/code is not right/);
    }
    await alertWith(first, /Too many attempts\. Try again in \d+ min/);
    await expect.poll(() => button.textContent()).toMatch(/^Wait \d+ s$/);
    expect(await button.isDisabled()).toBe(true);
    await screenshot(first, '13-too-many-codes');
    harness.expectCleanPages();
  });
});
