import { createCryptwebClient, TRPCClientError } from '@cryptweb/client';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser.js';
import {
  type Account,
  alertWith,
  heading,
  openNav,
  signedUpAndIn,
  signIn,
} from './support/flows.js';
import { type Harness, harnessForFile } from './support/harness.js';
import { waitForMail } from './support/mailbox.js';

// SPEC §10 in the browser app: the Security page's recent activity, new-device mails and the
// public "this wasn't me" page, in Debian's headless Chromium against the real server.

let harness: Harness;

harnessForFile((started) => {
  harness = started;
});

const NOT_ME = /This wasn.t me/;

/** The same account signed in on another browser: to the server, a device it never saw. */
async function signedInElsewhere(who: Account, label: string): Promise<Page> {
  const page = await harness.newPage(label);
  await page.goto(`${harness.site.url}/app/sign-in`);
  await signIn(page, who, label);
  return page;
}

/** The entries of the Security page's activity list, optionally only those with `text`. */
function entries(page: Page, text?: string | RegExp) {
  const items = page.getByRole('list', { name: 'Recent activity' }).getByRole('listitem');
  return text === undefined ? items : items.filter({ hasText: text });
}

async function entryTexts(page: Page): Promise<string[]> {
  return (await entries(page).allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
}

describe('the security log in the web app', () => {
  it('a new device is mailed a link that signs it out from a signed-out browser, on the click only, and the Security page tells the story', async () => {
    const { page: owner, who } = await signedUpAndIn(harness, 'Nora');

    // Someone with the password: one wrong guess first, then in, from a browser never seen.
    const intruder = await harness.newPage('intruder');
    await intruder.goto(`${harness.site.url}/app/sign-in`);
    await heading(intruder, 'Sign in');
    await intruder.getByLabel('Email', { exact: true }).fill(who.email);
    await intruder.getByLabel('Password', { exact: true }).fill('not her password');
    await intruder.getByRole('button', { name: 'Sign in', exact: true }).click();
    await alertWith(intruder, /Wrong email or password/);
    await signIn(intruder, who, 'Unknown phone');

    const mail = await waitForMail(harness.site.dataDir, who.email, 'new-sign-in');
    const link = /\S+\/app\/not-me\?token=\S+/.exec(mail.text)?.[0] ?? '';
    expect(link).toBe(`${harness.site.url}/app/not-me?token=${mail.token}`);

    // A third browser, signed out, follows the link. Opening it (as mail scanners do) reports nothing.
    const reader = await harness.newPage('reader');
    const reports: string[] = [];
    reader.on('request', (request) => {
      if (request.url().includes('auth.reportSignIn')) reports.push(request.url());
    });
    await reader.goto(link);
    await heading(reader, 'Sign-in not you?');
    await reader.getByText('If it was you, close this page').waitFor();
    await screenshot(reader, 'security-log-01-not-me');
    expect(reports).toEqual([]);
    await intruder.reload();
    await heading(intruder, 'Send a file');

    await reader.getByRole('button', { name: 'Sign that device out' }).click();
    await heading(reader, 'That device is signed out');
    await reader.getByText(/We emailed you a link to choose a new password/).waitFor();
    expect(reports).toHaveLength(1);
    await screenshot(reader, 'security-log-02-not-me-done');
    // The intruder's browser learns it at once: its session's subscription ended.
    await alertWith(intruder, /This device was signed out/);
    await waitForMail(harness.site.dataDir, who.email, 'reset-password');
    // The owner's own browser stays signed in.
    await owner.getByText('This device is online').waitFor();

    // The link works once; a made-up one not at all.
    await reader.goto(link);
    await reader.getByRole('button', { name: 'Sign that device out' }).click();
    await alertWith(reader, /This link was already used/);
    await reader.goto(`${harness.site.url}/app/not-me?token=made-up-token-that-is-long-enough`);
    await reader.getByRole('button', { name: 'Sign that device out' }).click();
    await alertWith(reader, /This link is not valid/);
    await reader.goto(`${harness.site.url}/app/not-me`);
    await reader.getByText('This page needs the link from the email').waitFor();

    await openNav(owner, 'Security');
    await entries(owner, 'Sign-in reported as not you').waitFor();
    const texts = await entryTexts(owner);
    expect(texts).toHaveLength(5);
    expect(texts[0]).toMatch(/^Sign-in reported as not you: that device was signed out/);
    expect(texts[1]).toMatch(/^Signed in from a new device New device/);
    expect(texts[2]).toMatch(/^Signed in New device/);
    expect(texts[3]).toMatch(/^Wrong password/);
    expect(texts[4]).toMatch(/^Signed in This device/);
    for (const text of texts) expect(text).toMatch(/(just now|seconds? ago|minutes? ago) · \S/);
    expect(texts[4]).toContain('127.0.0.1');
    expect(texts[4]).toMatch(/Chrom\w* \d+ on Linux/);
    // Flagged entries stand out; the others do not.
    const flagged = await entries(owner).evaluateAll((items) =>
      items.map((item) => item.classList.contains('flagged')),
    );
    expect(flagged).toEqual([false, true, true, false, false]);
    // The exact time on hover.
    const title = await entries(owner).first().locator('time').getAttribute('title');
    expect(title).toMatch(/\d{4}/);
    // Neither the current session nor an ended one can be disowned.
    expect(await owner.getByRole('button', { name: NOT_ME }).count()).toBe(0);
    await screenshot(owner, 'security-log-03-activity');

    await owner.getByLabel('Show').selectOption({ label: 'Wrong passwords' });
    await entries(owner).first().waitFor();
    await expect.poll(() => entryTexts(owner)).toEqual([expect.stringMatching(/^Wrong password/)]);
    harness.expectCleanPages();
  });

  it('"This wasn’t me" on the sign-in of another live session signs that session out', async () => {
    const { page: owner, who } = await signedUpAndIn(harness, 'Omar');
    const other = await signedInElsewhere(who, 'Omar tablet');

    await openNav(owner, 'Security');
    await entries(owner, 'This device').waitFor();
    // Only the other browser's sign-in offers it: not this device's, nor a new-device entry.
    const disown = owner.getByRole('button', { name: NOT_ME });
    expect(await disown.count()).toBe(1);
    const row = entries(owner).filter({ has: disown });
    expect((await row.textContent()) ?? '').toMatch(/^Signed in/);
    await disown.click();
    await owner.getByText(/is signed out\. If you did not sign in there/).waitFor();
    await owner.getByRole('link', { name: 'change your password' }).waitFor();
    await alertWith(other, /This device was signed out/);

    await entries(owner, 'A device was signed out').waitFor();
    expect(await owner.getByRole('button', { name: NOT_ME }).count()).toBe(0);
    await screenshot(owner, 'security-log-04-not-me-from-log');
    harness.expectCleanPages();
  });

  it('pages with "Show more", filters by type, and flags many failed attempts', async () => {
    const { page: owner, who } = await signedUpAndIn(harness, 'Pia');
    // Eleven wrong guesses straight at the API (a guesser needs no browser): the tenth within
    // 15 minutes and every one after it are flagged.
    const guesser = createCryptwebClient({ url: harness.site.url });
    for (let i = 0; i < 11; i++) {
      const error = await guesser.auth.signIn
        .mutate({ email: who.email, password: `guess number ${i}` })
        .catch((caught: unknown) => caught);
      expect(error instanceof TRPCClientError && error.data?.reason).toBe('INVALID_CREDENTIALS');
    }

    await openNav(owner, 'Security');
    await entries(owner).first().waitFor();
    expect(await entries(owner).count()).toBe(10);
    await owner.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => entries(owner).count()).toBe(12);
    expect(await owner.getByRole('button', { name: 'Show more' }).count()).toBe(0);
    const texts = await entryTexts(owner);
    expect(texts.filter((text) => text.includes('Many failed attempts'))).toHaveLength(2);
    expect(texts.slice(0, 2).every((text) => text.startsWith('Wrong password'))).toBe(true);
    expect(texts.at(-1)).toMatch(/^Signed in This device/);

    await owner.getByLabel('Show').selectOption({ label: 'Sign-ins' });
    await expect
      .poll(() => entryTexts(owner))
      .toEqual([expect.stringMatching(/^Signed in This device/)]);
    harness.expectCleanPages();
  });
});
