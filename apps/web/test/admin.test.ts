import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser.js';
import {
  type Account,
  account,
  alertWith,
  heading,
  openNav,
  signedUpAndIn,
  signIn,
  signUp,
  verify,
} from './support/flows.js';
import { type Harness, harnessForFile } from './support/harness.js';

// SPEC §10 administration in the browser app: the Admin page for admins (ADMIN_EMAILS), and no
// trace of it for anyone else.

let harness: Harness;
// ADMIN_EMAILS is read when the server starts, so the admin's address is chosen first.
const ADMIN = account('Ada');

harnessForFile(
  (started) => {
    harness = started;
  },
  { adminEmails: [ADMIN.email] },
);

let adminSignedUp = false;

/**
 * The admin's browser: the first time signed up through the app (verification makes the listed
 * address an admin), later signed in on a fresh browser.
 */
async function adminPage(label: string): Promise<Page> {
  const page = await harness.newPage(label);
  if (adminSignedUp) {
    await page.goto(`${harness.site.url}/app/sign-in`);
  } else {
    await signUp(harness.site, page, ADMIN);
    await verify(harness.site, page, ADMIN);
    adminSignedUp = true;
  }
  await signIn(page, ADMIN, label);
  return page;
}

/** Signs in on a fresh browser: to the server, a device this account never used. */
async function signedInElsewhere(who: Account, label: string): Promise<Page> {
  const page = await harness.newPage(label);
  await page.goto(`${harness.site.url}/app/sign-in`);
  await signIn(page, who, label);
  return page;
}

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

async function openUser(admin: Page, who: Account) {
  await admin.getByLabel('Search users').fill(who.email);
  await admin.getByRole('button', { name: 'Search' }).click();
  const users = admin.getByRole('list', { name: 'Users' }).getByRole('listitem');
  await expect.poll(() => users.count()).toBe(1);
  await users.getByRole('link', { name: /Details/ }).click();
  await admin.getByRole('heading', { level: 2, name: who.name }).waitFor();
}

describe('the Admin page', () => {
  it('shows a user’s sessions and events, signs a session out, disables and enables the account', async () => {
    const admin = await adminPage('Ada desktop');
    const { page: bea, who } = await signedUpAndIn(harness, 'Bea');
    const phone = await signedInElsewhere(who, 'Bea phone');

    await openNav(admin, 'Admin');
    const stats = admin.locator('dl[aria-label="Statistics"] dd');
    await expect.poll(() => stats.allInnerTexts()).toEqual(['2', '2', '3', '3', '0']);
    await openUser(admin, who);
    const sessions = admin.getByRole('list', { name: 'Sessions' }).getByRole('listitem');
    await expect.poll(() => sessions.count()).toBe(2);
    const events = admin.getByRole('list', { name: 'Recent events' }).getByRole('listitem');
    await events.filter({ hasText: 'New device' }).first().waitFor();
    // The phone's sign-in is flagged, and stands out.
    expect(
      await events
        .filter({ hasText: 'New device' })
        .first()
        .evaluate((item) => item.classList.contains('flagged')),
    ).toBe(true);
    await screenshot(admin, 'admin-01-user');

    await sessions
      .filter({ hasText: 'Bea phone' })
      .getByRole('button', { name: 'Sign out' })
      .click();
    await admin.getByText('Bea phone is signed out.').waitFor();
    await alertWith(phone, /This device was signed out/);
    await expect.poll(() => sessions.count()).toBe(1);

    await admin.getByLabel('Reason for disabling').fill('Sending spam');
    await admin.getByRole('button', { name: 'Disable account' }).click();
    await admin.getByText(`${who.email} is disabled and signed out everywhere.`).waitFor();
    await admin.getByText('Reason given: Sending spam').waitFor();
    await events.filter({ hasText: 'Account disabled' }).first().waitFor();
    await events.filter({ hasText: 'An admin disabled this account (“Sending spam”)' }).waitFor();
    await events.filter({ hasText: 'Signed out by an admin' }).waitFor();
    // The numbers follow: the phone's session and Bea's last one have ended.
    await expect.poll(() => stats.allInnerTexts()).toEqual(['2', '2', '1', '1', '0']);
    expect(await sessions.count()).toBe(0);
    await screenshot(admin, 'admin-02-disabled');

    // Bea's browser learns at once: its signaling socket ends, and the session is found gone…
    await alertWith(bea, /This device was signed out/);
    await heading(bea, 'Sign in');
    // …and the password no longer lets her in.
    await bea.getByLabel('Email', { exact: true }).fill(who.email);
    await bea.getByLabel('Password', { exact: true }).fill(who.password);
    await bea.getByRole('button', { name: 'Sign in', exact: true }).click();
    await alertWith(bea, /This account has been disabled/);
    await screenshot(bea, 'admin-03-disabled-sign-in');

    await admin.getByRole('button', { name: 'Enable account' }).click();
    await admin.getByText(`${who.email} can sign in again.`).waitFor();
    await bea.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading(bea, 'Send a file');

    // The flagged list, across accounts, holds the phone's new-device sign-in.
    await admin.getByRole('link', { name: 'All users' }).click();
    const flagged = admin.getByRole('list', { name: 'Flagged events' }).getByRole('listitem');
    await flagged.first().waitFor();
    expect(await flagged.filter({ hasText: 'New device' }).count()).toBeGreaterThan(0);
    await screenshot(admin, 'admin-05-users-and-flagged');
    harness.expectCleanPages();
  });

  it('makes a user an admin and back; the last admin cannot be made a user', async () => {
    const admin = await adminPage('Ada laptop');
    const { page: cy, who } = await signedUpAndIn(harness, 'Cy');

    // Cy is no admin: no Admin link, and the page itself only says so.
    await cy.goto(`${harness.site.url}/app/admin`);
    await alertWith(cy, /Only an admin can do this/);
    await nav(cy).getByRole('link', { name: 'Security' }).waitFor();
    expect(await nav(cy).getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await screenshot(cy, 'admin-04-not-admin');

    await openNav(admin, 'Admin');
    await openUser(admin, who);
    await admin.getByRole('button', { name: 'Make admin' }).click();
    await admin.getByText(`${who.email} is now an admin.`).waitFor();
    // Cy's next session finds the Admin link.
    await cy.reload();
    await nav(cy).getByRole('link', { name: 'Admin' }).waitFor();
    await admin.getByRole('button', { name: 'Make user' }).click();
    await admin.getByText(`${who.email} is no longer an admin.`).waitFor();

    // The admin's own account: the only admin left.
    await admin.getByRole('link', { name: 'All users' }).click();
    await openUser(admin, ADMIN);
    await admin.getByRole('button', { name: 'Make user' }).click();
    await alertWith(admin, /This is the last admin: make someone else an admin first/);
    await admin.getByRole('button', { name: 'Make user' }).waitFor();
    harness.expectCleanPages();
  });
});
