import type { CryptwebClient } from '@cryptweb/client';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from './support/flows.js';
import { type Harness, harnessForFile } from './support/harness.js';
import { waitForMail } from './support/mailbox.js';
import { addVirtualAuthenticator, type VirtualAuthenticator } from './support/passkeys.js';

// SPEC §9 passkeys against real WebAuthn: Chromium's virtual authenticator (CDP) makes and signs
// every credential; the server checks them with @simplewebauthn/server. WebAuthn refuses IP
// addresses as RP ID, so the page runs on http://localhost.

let harness: Harness;
let origin: string;
// Loaded once the harness has built the SDK, never a stale build from before this run.
let sdk: typeof import('@cryptweb/client');

harnessForFile(
  (started) => {
    harness = started;
    origin = started.site.url;
  },
  { host: 'localhost' },
);

beforeAll(async () => {
  sdk = await import('@cryptweb/client');
});

type CreationOptions = Awaited<
  ReturnType<CryptwebClient['passkeys']['registrationOptions']['mutate']>
>;
type RequestOptions = Awaited<ReturnType<CryptwebClient['auth']['passkeyOptions']['mutate']>>;
type Registration = Parameters<CryptwebClient['passkeys']['register']['mutate']>[0]['response'];
type Assertion = Parameters<CryptwebClient['auth']['signInWithPasskey']['mutate']>[0]['response'];

interface PasskeyDevice extends VirtualAuthenticator {
  page: Page;
}

/** A page on the app's origin (its own browser) with its own virtual platform authenticator. */
async function passkeyDevice(label: string): Promise<PasskeyDevice> {
  const page = await harness.newPage(label);
  await page.goto(`${origin}/app/`);
  return { page, ...(await addVirtualAuthenticator(page)) };
}

/** navigator.credentials.create with the server's options, answered as WebAuthn JSON. */
function create(device: PasskeyDevice, options: CreationOptions): Promise<Registration> {
  return device.page.evaluate(async (json) => {
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(json as never);
    const credential = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential;
    return credential.toJSON() as never;
  }, options);
}

/** navigator.credentials.get with the server's options (optionally altered), as WebAuthn JSON. */
function get(
  device: PasskeyDevice,
  options: RequestOptions,
  override: Partial<RequestOptions> = {},
): Promise<Assertion> {
  return device.page.evaluate(
    async (json) => {
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(json as never);
      const credential = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential;
      return credential.toJSON() as never;
    },
    { ...options, ...override },
  );
}

function client(): CryptwebClient {
  return sdk.createCryptwebClient({ url: origin });
}

let accounts = 0;
/** A verified account, signed in through the API (password only). */
async function signedUp(label: string) {
  accounts += 1;
  const email = `${label}-${accounts}-${Date.now()}@example.test`;
  const api = client();
  await api.auth.signUp.mutate({ name: label, email, password: PASSWORD });
  const mail = await waitForMail(harness.site.dataDir, email, 'verify-email');
  await api.auth.verifyEmail.mutate({ email, code: mail.code ?? '' });
  const signedIn = await api.auth.signIn.mutate({ email, password: PASSWORD });
  expect(signedIn).toHaveProperty('accessToken');
  return { api, email };
}

async function registered(api: CryptwebClient, device: PasskeyDevice, name = 'Laptop') {
  const options = await api.passkeys.registrationOptions.mutate({});
  return api.passkeys.register.mutate({ response: await create(device, options), name });
}

async function reasonOf(call: Promise<unknown>): Promise<string | undefined> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof sdk.TRPCClientError))
    throw new Error(`expected a refusal, got ${String(error)}`);
  return (error.data as { reason?: string } | undefined)?.reason;
}

/** The `amr` claim of an access token (the server signed it; here it is only read). */
function amrOf(accessToken: string): string[] {
  const payload = accessToken.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).amr;
}

describe('passkeys (SPEC §9) with a real authenticator', () => {
  it('registers, lists, and signs in without a password as two factors', async () => {
    const { api, email } = await signedUp('ada');
    const device = await passkeyDevice('device 1');
    const passkey = await registered(api, device);
    expect(passkey).toMatchObject({ name: 'Laptop', lastUsedAt: null });
    expect(await api.passkeys.list.query()).toEqual([passkey]);
    expect(await api.mfa.status.query()).toMatchObject({ passkeys: 1 });
    await waitForMail(harness.site.dataDir, email, 'passkey-added');

    const anonymous = client();
    const options = await anonymous.auth.passkeyOptions.mutate({});
    // Discoverable: nothing in the options names an account.
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(options.userVerification).toBe('required');
    const response = await get(device, options);
    const signedIn = await anonymous.auth.signInWithPasskey.mutate({ response });
    expect(signedIn.user.email).toBe(email);
    expect(amrOf(signedIn.accessToken)).toEqual(['hwk', 'user']);
    expect((await anonymous.auth.me.query()).session.mfa).toBe(true);
    const [used] = await api.passkeys.list.query();
    expect(used?.lastUsedAt).toBeInstanceOf(Date);

    // The same signed answer again: its challenge is spent.
    expect(await reasonOf(client().auth.signInWithPasskey.mutate({ response }))).toBe(
      'PASSKEY_INVALID',
    );
  });

  it('a password sign-in then asks for the passkey, and the passkey finishes it', async () => {
    const { api, email } = await signedUp('bo');
    const device = await passkeyDevice('device 2');
    const passkey = await registered(api, device);

    const fresh = client();
    const first = await fresh.auth.signIn.mutate({ email, password: PASSWORD });
    expect(first).toMatchObject({ mfaRequired: true, methods: ['passkey'] });
    if (!('mfaRequired' in first)) throw new Error('expected mfaRequired');
    const options = await fresh.auth.passkeyOptions.mutate({
      challengeToken: first.challengeToken,
    });
    expect(options.allowCredentials?.map((c) => c.id)).toHaveLength(1);
    const signedIn = await fresh.auth.verifyMfa.mutate({
      challengeToken: first.challengeToken,
      passkey: await get(device, options),
    });
    expect(amrOf(signedIn.accessToken)).toEqual(['pwd', 'hwk', 'user']);
    expect((await fresh.auth.me.query()).session.mfa).toBe(true);

    // Removing the last passkey (password required) makes the password enough again, so only a
    // session that proved a second factor may do it: not the password-only one it was added from.
    expect(
      await reasonOf(
        fresh.passkeys.remove.mutate({ id: passkey.id, currentPassword: 'wrong one' }),
      ),
    ).toBe('INVALID_CREDENTIALS');
    expect(
      await reasonOf(api.passkeys.remove.mutate({ id: passkey.id, currentPassword: PASSWORD })),
    ).toBe('REAUTH_REQUIRED');
    await fresh.passkeys.remove.mutate({ id: passkey.id, currentPassword: PASSWORD });
    await waitForMail(harness.site.dataDir, email, 'passkey-removed');
    expect(await api.passkeys.list.query()).toEqual([]);
    expect(await client().auth.signIn.mutate({ email, password: PASSWORD })).toHaveProperty(
      'accessToken',
    );
  });

  it("refuses another account's passkey at the second step, and anyone's passkey ids", async () => {
    const owner = await signedUp('cy');
    const ownerDevice = await passkeyDevice('device 3');
    const ownerKey = await registered(owner.api, ownerDevice);
    const victim = await signedUp('di');
    await registered(victim.api, await passkeyDevice('device 4'));

    const attacker = client();
    const first = await attacker.auth.signIn.mutate({ email: victim.email, password: PASSWORD });
    if (!('mfaRequired' in first)) throw new Error('expected mfaRequired');
    // The attacker knows the victim's password and holds a passkey of their own account.
    const ownOptions = await attacker.auth.passkeyOptions.mutate({});
    const ownAnswer = await get(ownerDevice, ownOptions);
    expect(
      await reasonOf(
        attacker.auth.verifyMfa.mutate({
          challengeToken: first.challengeToken,
          passkey: ownAnswer,
        }),
      ),
    ).toBe('PASSKEY_INVALID');

    // Another user's passkey id is indistinguishable from a missing one.
    expect(
      await reasonOf(victim.api.passkeys.rename.mutate({ id: ownerKey.id, name: 'mine' })),
    ).toBe('PASSKEY_NOT_FOUND');
    expect(
      await reasonOf(
        victim.api.passkeys.remove.mutate({ id: ownerKey.id, currentPassword: PASSWORD }),
      ),
    ).toBe('PASSKEY_NOT_FOUND');
    expect(await owner.api.passkeys.list.query()).toHaveLength(1);
    const renamed = await owner.api.passkeys.rename.mutate({ id: ownerKey.id, name: 'Phone' });
    expect(renamed.name).toBe('Phone');
  });

  it('refuses a cloned authenticator whose counter went back, and a changed backup flag', async () => {
    const { api } = await signedUp('eve');
    const device = await passkeyDevice('device 5');
    await registered(api, device);
    // Use it once so the server's counter is past zero.
    await client().auth.signInWithPasskey.mutate({
      response: await get(device, await client().auth.passkeyOptions.mutate({})),
    });
    const { credentials } = await device.cdp.send('WebAuthn.getCredentials', {
      authenticatorId: device.id,
    });
    const [original] = credentials;
    if (!original) throw new Error('the authenticator holds no credential');
    expect(original.signCount).toBeGreaterThan(0);

    // The same private key in another authenticator, its counter reset: what a clone looks like.
    const clone = await passkeyDevice('device 6');
    await clone.cdp.send('WebAuthn.addCredential', {
      authenticatorId: clone.id,
      credential: { ...original, signCount: 0 },
    });
    const anonymous = client();
    const answer = await get(clone, await anonymous.auth.passkeyOptions.mutate({}));
    expect(await reasonOf(anonymous.auth.signInWithPasskey.mutate({ response: answer }))).toBe(
      'PASSKEY_INVALID',
    );

    // Backup eligibility is fixed at creation: a response claiming otherwise is another device.
    const synced = await passkeyDevice('device 7');
    await synced.cdp.send('WebAuthn.addCredential', {
      authenticatorId: synced.id,
      credential: { ...original, signCount: original.signCount + 10, backupEligibility: true },
    });
    const other = client();
    const syncedAnswer = await get(synced, await other.auth.passkeyOptions.mutate({}));
    expect(await reasonOf(other.auth.signInWithPasskey.mutate({ response: syncedAnswer }))).toBe(
      'PASSKEY_INVALID',
    );
  });

  it('passwordless sign-in demands user verification', async () => {
    const { api } = await signedUp('fay');
    const device = await passkeyDevice('device 8');
    await registered(api, device);
    // From now on the authenticator proves presence only (no PIN, no biometric).
    await device.cdp.send('WebAuthn.setUserVerified', {
      authenticatorId: device.id,
      isUserVerified: false,
    });
    const anonymous = client();
    const options = await anonymous.auth.passkeyOptions.mutate({});
    // The browser is asked for presence only; the server still wants verification.
    const answer = await get(device, options, { userVerification: 'discouraged' });
    expect(await reasonOf(anonymous.auth.signInWithPasskey.mutate({ response: answer }))).toBe(
      'PASSKEY_INVALID',
    );
  });

  it('adding a passkey long after sign-in needs the password again', async () => {
    const { api } = await signedUp('gil');
    const me = await api.auth.me.query();
    // The session's sign-in moved 11 minutes into the past.
    await harness.app.deps.db.execute(
      `update sessions set created_at = now() - interval '11 minutes' where id = '${me.session.id}'`,
    );
    expect(await reasonOf(api.passkeys.registrationOptions.mutate({}))).toBe('REAUTH_REQUIRED');
    expect(
      await reasonOf(api.passkeys.registrationOptions.mutate({ currentPassword: 'not it at all' })),
    ).toBe('INVALID_CREDENTIALS');
    const options = await api.passkeys.registrationOptions.mutate({ currentPassword: PASSWORD });
    const device = await passkeyDevice('device 9');
    // A response naming another credential than the one its authenticator attested is refused.
    const tampered = await create(device, options);
    expect(
      await reasonOf(
        api.passkeys.register.mutate({
          response: { ...tampered, id: 'AAAA', rawId: 'AAAA' },
          name: 'Desk',
        }),
      ),
    ).toBe('PASSKEY_INVALID');
    const fresh = await api.passkeys.registrationOptions.mutate({ currentPassword: PASSWORD });
    const response = await create(device, fresh);
    await api.passkeys.register.mutate({ response, name: 'Desk' });
    // The same registration again: its challenge is spent.
    expect(await reasonOf(api.passkeys.register.mutate({ response, name: 'Desk' }))).toBe(
      'PASSKEY_INVALID',
    );
  });
});
