import { type CryptwebClient, createCryptwebClient } from '@cryptweb/client';
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
  signUp,
  verify,
} from './support/flows.js';
import { type Harness, harnessForFile } from './support/harness.js';

// SPEC §11 device authorization in the browser app: a client (here the SDK in Node, as the CLI
// uses it) starts a sign-in, the signed-in person approves or denies it on /app/device.

let harness: Harness;

harnessForFile((started) => {
  harness = started;
});

type Poll = Awaited<ReturnType<CryptwebClient['auth']['device']['poll']['mutate']>>;

/**
 * Polls as a well-behaved client: waits the interval before each poll (a sooner one answers
 * slow_down and lengthens it), until the answer is no longer "pending".
 */
async function pollUntilDecided(
  client: CryptwebClient,
  deviceCode: string,
  interval: number,
): Promise<Poll> {
  let wait = interval;
  for (let attempt = 0; attempt < 8; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 250));
    const answer = await client.auth.device.poll.mutate({ deviceCode });
    if (!('status' in answer)) return answer;
    if (answer.status === 'slow_down') wait += 5;
    else if (answer.status !== 'pending') return answer;
  }
  throw new Error('the device authorization stayed pending');
}

/** Signs in from the sign-in form that a private page shows in its place, staying on that page. */
async function signInInPlace(page: Page, who: Account, title: string) {
  await heading(page, 'Sign in');
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await heading(page, title);
}

describe('approving a device sign-in in the web app', () => {
  it('a signed-out browser signs in and comes back to the code; nothing is approved until Approve, and then the client gets its session', async () => {
    const who = account('Dana');
    const page = await harness.newPage('Dana');
    await signUp(harness.site, page, who);
    await verify(harness.site, page, who);

    const cli = createCryptwebClient({ url: harness.site.url });
    const started = await cli.auth.device.start.mutate({ clientName: 'cryptweb CLI on build-box' });
    expect(started.verificationUriComplete).toBe(
      `${harness.site.url}/app/device?code=${encodeURIComponent(started.userCode)}`,
    );

    // The link from the terminal, opened in a browser that is signed out.
    await page.goto(started.verificationUriComplete);
    await signInInPlace(page, who, 'Sign in an app');
    expect(new URL(page.url()).pathname).toBe('/app/device');
    await expect.poll(() => page.getByLabel('Code').inputValue()).toBe(started.userCode);
    // Opening the link and signing in decided nothing.
    expect(await cli.auth.device.poll.mutate({ deviceCode: started.deviceCode })).toEqual({
      status: 'pending',
    });

    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'Approve this sign-in?');
    await page.getByText('Only approve if you started this sign-in yourself, just now').waitFor();
    const details = page.locator('dl');
    await details.getByText('cryptweb CLI on build-box').waitFor();
    await details.getByText('127.0.0.1').waitFor();
    await details.getByText('just now').waitFor();
    await screenshot(page, 'device-01-approve');
    await page.getByRole('button', { name: 'Approve' }).click();
    await heading(page, 'Sign-in approved');
    await page.getByText(/cryptweb CLI on build-box is now signed in as/).waitFor();
    await screenshot(page, 'device-02-approved');

    const answer = await pollUntilDecided(cli, started.deviceCode, started.interval);
    if ('status' in answer) throw new Error(`expected a session, got ${answer.status}`);
    expect(answer.user.email).toBe(who.email);
    // The client's session is one of the account's devices, under the client's name.
    await openNav(page, 'Devices');
    await page.getByText('cryptweb CLI on build-box').waitFor();
    harness.expectCleanPages();
  });

  it('a denied code polls "denied"; a decided, unknown or malformed code is refused in words', async () => {
    const { page } = await signedUpAndIn(harness, 'Eli');
    const cli = createCryptwebClient({ url: harness.site.url });
    const started = await cli.auth.device.start.mutate({ clientName: 'Unknown script' });

    await page.goto(`${harness.site.url}/app/device`);
    await heading(page, 'Sign in an app');
    expect(await page.getByLabel('Code').inputValue()).toBe('');
    // People type codes in any case, without the dash.
    await page.getByLabel('Code').fill(started.userCode.replace('-', '').toLowerCase());
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'Approve this sign-in?');
    await page.getByRole('button', { name: 'Deny' }).click();
    await heading(page, 'Sign-in denied');
    await page.getByText(/Unknown script was not signed in/).waitFor();
    expect(await pollUntilDecided(cli, started.deviceCode, started.interval)).toEqual({
      status: 'denied',
    });

    await page.getByRole('button', { name: 'Enter another code' }).click();
    await heading(page, 'Sign in an app');
    await page.getByLabel('Code').fill(started.userCode);
    await page.getByRole('button', { name: 'Continue' }).click();
    await alertWith(page, /This code was already approved or denied/);
    await page.getByLabel('Code').fill('BCDF-GHJK');
    await page.getByRole('button', { name: 'Continue' }).click();
    await alertWith(page, /No sign-in is waiting for this code/);
    await page.getByLabel('Code').fill('12-34');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('Code must be 8 letters (XXXX-XXXX)').waitFor();
    await screenshot(page, 'device-03-refused');
    harness.expectCleanPages();
  });
});
