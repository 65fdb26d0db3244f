import { readFile } from 'node:fs/promises';
import { createCryptwebClient } from '@cryptweb/client';
import { describe, expect, it } from 'vitest';
import { blobTypeOf, screenshot } from './support/browser.js';
import { account, alertWith, heading, openNav, PASSWORD, signedUpAndIn } from './support/flows.js';
import { type Harness, harnessForFile } from './support/harness.js';
import { waitForMail } from './support/mailbox.js';

// SPEC §10 account lifecycle in the browser app: the display name, a new email address by a
// mailed code, "Download my data" and deleting the account.

let harness: Harness;

harnessForFile((started) => {
  harness = started;
});

describe('the Account page', () => {
  it('renames, moves the account to a new email through a mailed code, and hands over its data', async () => {
    const { page, who } = await signedUpAndIn(harness, 'Quinn');
    // An address someone already signed up with (unverified is enough to hold it).
    const other = account('Rita');
    await createCryptwebClient({ url: harness.site.url }).auth.signUp.mutate(other);
    await openNav(page, 'Account');

    await page.getByLabel('Display name').fill('Quinn Q.');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByText('Name saved.').waitFor();
    await page.locator('.who').getByText('Quinn Q.').waitFor();

    const email = page.getByRole('region', { name: 'Change email' });
    await email.getByLabel('New email').fill(other.email);
    await email.getByLabel('Current password').fill('not the password');
    await email.getByRole('button', { name: 'Send code' }).click();
    await alertWith(page, /Your current password is not right/);
    await email.getByLabel('Current password').fill(PASSWORD);
    await email.getByRole('button', { name: 'Send code' }).click();
    await alertWith(page, /Another account already uses this email address/);

    const newEmail = account('Quinn').email;
    await email.getByLabel('New email').fill(newEmail);
    await email.getByLabel('Current password').fill(PASSWORD);
    await email.getByRole('button', { name: 'Send code' }).click();
    await email.getByText(`We emailed a 6-digit code to ${newEmail}`).waitFor();
    const mail = await waitForMail(harness.site.dataDir, newEmail, 'email-change');
    const code = mail.code ?? '';
    await email.getByLabel('Code from the email').fill(code === '000000' ? '111111' : '000000');
    await email.getByRole('button', { name: 'Confirm new email' }).click();
    await alertWith(page, /That code is not right/);
    await email.getByLabel('Code from the email').fill(code);
    await email.getByRole('button', { name: 'Confirm new email' }).click();
    await page.getByText(`Your email is now ${newEmail}`).waitFor();
    await page.locator('dl.totals').getByText(newEmail).waitFor();
    await waitForMail(harness.site.dataDir, who.email, 'email-changed');
    await screenshot(page, 'account-01-email-changed');

    // Five wrong codes spend the code: even the right one is then refused, and the form says to start over.
    await email.getByLabel('New email').fill(who.email);
    await email.getByLabel('Current password').fill(PASSWORD);
    await email.getByRole('button', { name: 'Send code' }).click();
    const second = await waitForMail(harness.site.dataDir, who.email, 'email-change');
    const wrong = second.code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      await email.getByLabel('Code from the email').fill(wrong);
      await email.getByRole('button', { name: 'Confirm new email' }).click();
      await alertWith(page, /That code is not right/);
      // Each refusal replaces the alert; wait until this one has been read before the next try.
      await expect
        .poll(() => email.getByRole('button', { name: 'Confirm new email' }).isEnabled())
        .toBe(true);
    }
    await email.getByLabel('Code from the email').fill(second.code ?? '');
    await email.getByRole('button', { name: 'Confirm new email' }).click();
    await alertWith(page, /Too many wrong codes/);
    await email.getByRole('button', { name: 'Start over' }).click();
    await email.getByLabel('New email').waitFor();
    await page.locator('dl.totals').getByText(newEmail).waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download my data' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^cryptweb-data-\d{4}-\d{2}-\d{2}\.json$/);
    expect(download.url()).toMatch(/^blob:/);
    expect(await blobTypeOf(page, download.url())).toBe('application/json');
    const data = JSON.parse(await readFile(await download.path(), 'utf8')) as {
      profile: { email: string; name: string; role: string };
      sessions: unknown[];
      securityEvents: { type: string }[];
    };
    expect(data.profile).toMatchObject({ email: newEmail, name: 'Quinn Q.', role: 'user' });
    expect(data.sessions.length).toBeGreaterThan(0);
    expect(data.securityEvents.map((event) => event.type)).toContain('email-changed');
    expect(JSON.stringify(data)).not.toMatch(/passwordHash|\$2[aby]\$/);
    harness.expectCleanPages();
  });

  it('deletes the account after the password and DELETE, signs out with a message, and the password no longer signs in', async () => {
    const { page, who } = await signedUpAndIn(harness, 'Sam');
    const otherTab = await harness.newTab(page, 'Sam other tab');
    await otherTab.goto(`${harness.site.url}/app/devices`);
    await heading(otherTab, 'Devices');
    await openNav(page, 'Account');

    const danger = page.getByRole('region', { name: 'Delete account' });
    await danger.getByLabel('Current password').fill('not the password');
    await danger.getByLabel('Type DELETE to confirm').fill('DELETE');
    await danger.getByRole('button', { name: 'Delete my account' }).click();
    await alertWith(page, /Your current password is not right/);
    await screenshot(page, 'account-02-delete-refused');

    await danger.getByLabel('Current password').fill(PASSWORD);
    await danger.getByRole('button', { name: 'Delete my account' }).click();
    await heading(page, 'Sign in');
    await page.getByText('Your account is deleted, and you are signed out.').waitFor();
    await screenshot(page, 'account-03-deleted');
    // The other tab's session ended with the account.
    await alertWith(otherTab, /This device was signed out/);

    await page.getByLabel('Email', { exact: true }).fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await alertWith(page, /Wrong email or password/);
    harness.expectCleanPages();
  });
});
