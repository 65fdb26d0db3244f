import type { AppRouter } from '@cryptweb/server';
import type { inferRouterOutputs } from '@trpc/server';

/** What `auth.signIn` answers: a session's tokens, or the request for a second factor. */
export type SignInResult = inferRouterOutputs<AppRouter>['auth']['signIn'];

/**
 * The account has a second factor (SPEC §9): no session exists yet. Finish the sign-in with
 * `auth.verifyMfa({ challengeToken, totp })` (or `recoveryCode`), within 5 minutes.
 */
export type MfaRequired = Extract<SignInResult, { mfaRequired: true }>;

/** A finished sign-in: the tokens and session that `auth.signIn` and `auth.verifyMfa` answer. */
export type SignedInResult = Exclude<SignInResult, { mfaRequired: true }>;

/**
 * Whether an `auth.signIn` answer asks for a second factor instead of giving a session.
 *
 * ```ts
 * const result = await client.auth.signIn.mutate({ email, password });
 * const signedIn = isMfaRequired(result)
 *   ? await client.auth.verifyMfa.mutate({ challengeToken: result.challengeToken, totp: code })
 *   : result;
 * ```
 */
export function isMfaRequired(result: SignInResult): result is MfaRequired {
  return 'mfaRequired' in result && result.mfaRequired === true;
}
