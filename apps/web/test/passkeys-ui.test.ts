import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser.js';
import {
  account,
  alertWith,
  heading,
  openNav,
  signIn,
  signInToSecondStep,
  signUp,
  verify,
} from './support/flows.js';
import { type Harness, harnessForFile } from './support/harness.js';
import { addVirtualAuthenticator } from './support/passkeys.js';

// Issue 13: passkeys in the browser app (SPEC §9), through its pages, with Chromium's virtual
// authenticator answering the browser's own WebAuthn dialogs. WebAuthn refuses IP addresses as
// RP ID, so the app runs on http://localhost.

let harness: Harness;

harnessForFile(
  (started) => {
    harness = started;
  },
  { host: 'localhost' },
);

/** Moves the sign-in of every session of `email` 11 minutes into the past (SPEC §9's 10 minutes). */
async function ageSessions(email: string) {
  await harness.app.deps.db.execute(
    `update sessions set created_at = now() - interval '11 minutes'
     where user_id = (select id from users where email = '${email.toLowerCase()}')`,
  );
}

const statusOf = (page: Page) => page.locator('.totals').textContent();

describe('passkeys in the web app', () => {
  it('adds a passkey on the Security page, signs in with it alone or as second step, and removes it', async () => {
    const who = account('Pia');
    const page = await harness.newPage('Pia');
    const authenticator = await addVirtualAuthenticator(page);
    await signUp(harness.site, page, who);
    await verify(harness.site, page, who);
    await signIn(page, who, 'Pia laptop');
    await openNav(page, 'Security');
    await expect.poll(() => statusOf(page)).toMatch(/Passkeys\s*0/);
    const panel = page.getByRole('region', { name: 'Passkeys' });
    await panel.getByText('You have no passkeys yet.').waitFor();

    // A sign-in older than 10 minutes: the server wants the password again (REAUTH_REQUIRED).
    await ageSessions(who.email);
    const add = panel.getByRole('button', { name: 'Add a passkey' });
    await panel.getByLabel('Passkey name').fill('Laptop');
    await add.click();
    await alertWith(page, /enter your current password/);
    await panel.getByLabel('Current password').fill('not my password');
    await add.click();
    await alertWith(page, /current password is not right/);
    await panel.getByLabel('Current password').fill(who.password);
    await add.click();
    await panel.getByText('Passkey “Laptop” added.').waitFor();

    const list = panel.getByRole('list', { name: 'Your passkeys' });
    await expect.poll(() => list.getByRole('listitem').allTextContents()).toHaveLength(1);
    expect(await list.getByRole('listitem').textContent()).toMatch(
      /Laptop\s*Added .+ · never used/,
    );
    await expect.poll(() => statusOf(page)).toMatch(/Passkeys\s*1/);
    expect(await statusOf(page)).toMatch(/Two-factor authentication\s*On \(a passkey\)/);
    const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', {
      authenticatorId: authenticator.id,
    });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]?.isResidentCredential).toBe(true);
    await screenshot(page, '21-passkey-added');

    // The same authenticator again: the server's options exclude it, the browser refuses.
    await panel.getByLabel('Passkey name').fill('Laptop again');
    await panel.getByLabel('Current password').fill(who.password);
    await add.click();
    await alertWith(page, /already holds a passkey for your account/);

    await list.getByRole('button', { name: 'Rename Laptop' }).click();
    await list.getByLabel('New name').fill('Work laptop');
    await list.getByRole('button', { name: 'Save name' }).click();
    await panel.getByText('Renamed to “Work laptop”.').waitFor();
    await list.getByText('Work laptop', { exact: true }).waitFor();

    // Passwordless: no email typed, the authenticator offers the passkey it holds for this site.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading(page, 'Sign in');
    expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe('');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await heading(page, 'Security');
    await expect.poll(() => list.getByRole('listitem').textContent()).toMatch(/last used/);

    // A password sign-in now asks for the passkey; no code field, the account has no app.
    await signInToSecondStep(page, who);
    expect(await page.getByLabel('Authentication code').count()).toBe(0);
    await screenshot(page, '22-passkey-second-step');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await heading(page, 'Security');

    // Removing asks for the password; then the password alone signs in again.
    await list.getByRole('button', { name: 'Remove Work laptop' }).click();
    await list.getByLabel('Current password').fill('not my password');
    await list.getByRole('button', { name: 'Remove passkey' }).click();
    await alertWith(page, /current password is not right/);
    await list.getByLabel('Current password').fill(who.password);
    await list.getByRole('button', { name: 'Remove passkey' }).click();
    await panel.getByText('Passkey “Work laptop” removed.').waitFor();
    await panel.getByText('You have no passkeys yet.').waitFor();
    await expect.poll(() => statusOf(page)).toMatch(/Two-factor authentication\s*Off/);
    expect(await statusOf(page)).toMatch(/Passkeys\s*0/);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${harness.site.url}/app/sign-in`);
    await signIn(page, who, 'Pia laptop');
    harness.expectCleanPages();
  });

  it('takes a closed passkey dialog calmly, and explains why an IP address cannot use passkeys', async () => {
    // This browser's authenticator holds no passkey for the site: the browser answers
    // NotAllowedError, as it does when the person closes the dialog.
    const page = await harness.newPage('Quinn');
    await addVirtualAuthenticator(page);
    await page.goto(`${harness.site.url}/app/sign-in`);
    await heading(page, 'Sign in');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('status').filter({ hasText: 'No passkey was used' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await screenshot(page, '23-passkey-cancelled');

    // The same server by its IP address: no button that could only fail, but the reason.
    const byAddress = await harness.newPage('Quinn by address');
    await byAddress.goto(`${harness.site.url.replace('localhost', '127.0.0.1')}/app/sign-in`);
    await heading(byAddress, 'Sign in');
    await byAddress.getByText(/Passkeys need the app on a host name such as localhost/).waitFor();
    expect(await byAddress.getByRole('button', { name: 'Sign in with a passkey' }).count()).toBe(0);
    harness.expectCleanPages();
  });
});
