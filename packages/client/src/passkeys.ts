import type { AppRouter } from '@cryptweb/server';
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { CryptwebClient } from './client.js';
import type { SignedInResult } from './sign-in.js';

type Outputs = inferRouterOutputs<AppRouter>;
type Inputs = inferRouterInputs<AppRouter>;
export type Passkey = Outputs['passkeys']['register'];

/** The client calls these helpers need, whatever its auth mode. */
type PasskeyClient = Pick<CryptwebClient, 'auth' | 'passkeys'>;

/**
 * Whether this browser can use passkeys at all (WebAuthn present). Pages served from an IP
 * address cannot, whatever this says: browsers refuse IP addresses as relying party.
 */
export function browserSupportsPasskeys(): boolean {
  return browserSupportsWebAuthn();
}

/**
 * Creates a passkey on this device's authenticator and adds it to the signed-in account. A
 * session signed in more than 10 minutes ago must give `currentPassword` (else `REAUTH_REQUIRED`).
 * Browsers only; the authenticator's own dialog runs in between.
 */
export async function addPasskey(
  client: PasskeyClient,
  opts: { name: string; currentPassword?: string },
): Promise<Passkey> {
  const optionsJSON = await client.passkeys.registrationOptions.mutate(
    opts.currentPassword === undefined ? {} : { currentPassword: opts.currentPassword },
  );
  const response = await startRegistration({ optionsJSON });
  return client.passkeys.register.mutate({ response, name: opts.name });
}

/**
 * Passwordless sign-in with a passkey stored on the authenticator: no email asked. The session's
 * tokens are kept like `auth.signIn`'s.
 */
export async function signInWithPasskey(
  client: PasskeyClient,
  opts: { device?: Inputs['auth']['signInWithPasskey']['device'] } = {},
): Promise<SignedInResult> {
  const optionsJSON = await client.auth.passkeyOptions.mutate({});
  const response = await startAuthentication({ optionsJSON });
  return client.auth.signInWithPasskey.mutate({
    response,
    ...(opts.device ? { device: opts.device } : {}),
  });
}

/** Finishes an `mfaRequired` sign-in with one of the account's passkeys as second factor. */
export async function verifyMfaWithPasskey(
  client: PasskeyClient,
  challengeToken: string,
): Promise<SignedInResult> {
  const optionsJSON = await client.auth.passkeyOptions.mutate({ challengeToken });
  const passkey = await startAuthentication({ optionsJSON });
  return client.auth.verifyMfa.mutate({ challengeToken, passkey });
}
