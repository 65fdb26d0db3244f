import type { CDPSession, Page } from 'playwright-core';

/** A page's virtual authenticator (Chromium's WebAuthn CDP domain): the test can read its credentials. */
export interface VirtualAuthenticator {
  cdp: CDPSession;
  id: string;
}

/**
 * Gives `page` a virtual platform authenticator, like a laptop's with a fingerprint reader: it
 * holds discoverable credentials, verifies the user and answers without a prompt. The browser's
 * own WebAuthn code makes and signs every credential; nothing is faked on either side.
 */
export async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      defaultBackupEligibility: false,
      defaultBackupState: false,
    },
  });
  return { cdp, id: authenticatorId };
}
