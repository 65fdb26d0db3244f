import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { screenshot } from './browser.js';
import type { Harness } from './harness.js';
import { waitForMail } from './mailbox.js';

export const PASSWORD = 'violet tractor umbrella 42';

/** The running server: its URL and DATA_DIR (where the `file` mail transport writes). */
export interface Site {
  url: string;
  dataDir: string;
}

let counter = 0;
/** A fresh person with a unique email. */
export function account(name: string) {
  counter += 1;
  const tag = `${process.pid}.${counter}.${randomBytes(3).toString('hex')}`;
  return { name, email: `${name.toLowerCase()}.${tag}@example.test`, password: PASSWORD };
}
export type Account = ReturnType<typeof account>;

export const heading = (page: Page, name: string) =>
  page.getByRole('heading', { level: 1, name }).waitFor();
export const alertWith = (page: Page, text: RegExp) =>
  page.getByRole('alert').filter({ hasText: text }).first().waitFor();

/** Signs up through the form; `weakFirst` tries a common password first and reads the refusal. */
export async function signUp(
  site: Site,
  page: Page,
  who: Account,
  options: { weakFirst?: boolean } = {},
) {
  await page.goto(`${site.url}/app/sign-up`);
  await heading(page, 'Create an account');
  await page.getByLabel('Name', { exact: true }).fill(who.name);
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  if (options.weakFirst) {
    await page.getByLabel('Password', { exact: true }).fill('password123');
    await page.getByRole('button', { name: 'Create account' }).click();
    await alertWith(page, /too common/);
    await screenshot(page, '01-sign-up-weak-password');
  }
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await heading(page, 'Verify your email');
}

/** Enters the mailed code; `wrongFirst` tries a wrong code first and reads the refusal. */
export async function verify(
  site: Site,
  page: Page,
  who: Account,
  options: { wrongFirst?: boolean } = {},
) {
  const mail = await waitForMail(site.dataDir, who.email, 'verify-email');
  const code = mail.code ?? '';
  expect(code).toMatch(/^\d{6}$/);
  if (options.wrongFirst) {
    await page.getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Verify email' }).click();
    await alertWith(page, /code is not right/);
    await screenshot(page, '02-verify-wrong-code');
  }
  await page.getByLabel('Code').fill(code);
  await page.getByRole('button', { name: 'Verify email' }).click();
  await heading(page, 'Sign in');
  await page.getByText('Your email is verified').waitFor();
}

/** Signs in from the sign-in form (email prefilled or typed) and waits until it can receive. */
export async function signIn(page: Page, who: Account, device: string, password = who.password) {
  await heading(page, 'Sign in');
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Device name (optional)').fill(device);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await heading(page, 'Send a file');
  await page.getByText('This device is online').waitFor();
}

/** Signs out, then in with the password, up to the second step of an account with two factors. */
export async function signInToSecondStep(page: Page, who: Account) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await heading(page, 'Sign in');
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await heading(page, 'Two-factor authentication');
}

/** Follows a link of the main navigation and waits for that page. */
export async function openNav(page: Page, name: string, title = name) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
  await heading(page, title);
}

/** A new account, signed up, verified and signed in on a fresh browser of its own. */
export async function signedUpAndIn(
  harness: Pick<Harness, 'site' | 'newPage'>,
  name: string,
): Promise<{ page: Page; who: Account }> {
  const who = account(name);
  const page = await harness.newPage(name);
  await signUp(harness.site, page, who);
  await verify(harness.site, page, who);
  await signIn(page, who, `${name} laptop`);
  return { page, who };
}
