import { type CryptwebClient, isMfaRequired } from '@cryptweb/client';
import * as OTPAuth from 'otpauth';
import { check, equal, rejects } from './assert.js';
import type { FlowContext, TestUser } from './context.js';

/**
 * SPEC §9, TOTP: enrol, sign in with a code, replay refused, a recovery code once, disable. The
 * flows share one account per run (`carol`, so that the other flows' `alice` never needs a code).
 *
 * A code is accepted once per 30 s step and a step older than the last one used is refused, so
 * each step uses a later one than the step before: confirm with the previous step, sign in with
 * the current one, disable with the next (all within the server's ±1 window).
 *
 * Against a server with the default limits (`pnpm start`): wrong answers count against
 * `reauth.user` (5 per 15 min), and these flows give 4; every sign-in counts against `signIn.ip`
 * (30 per 15 min, shared with the other flows), and these make 6.
 */

/** The code of the step `offset` steps from now (SHA-1, 6 digits, 30 s). */
export function totpCode(secret: string, offset = 0): string {
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
  return totp.generate({ timestamp: Date.now() + offset * 30_000 });
}

interface Enrolled {
  user: TestUser;
  /** Signed in before two-factor was on: its session lives on, for the authed calls. */
  client: CryptwebClient;
  secret: string;
  recoveryCodes: string[];
  /** The TOTP code the sign-in flow spent, for the replay flow. */
  spentCode?: string;
}

/** Per run: what the enrolment flow made, for the flows after it. */
const enrolments = new WeakMap<FlowContext, Enrolled>();

function enrolled(ctx: FlowContext): Enrolled {
  const state = enrolments.get(ctx);
  check(state, 'no account with two-factor on: the enrolment flow failed');
  return state;
}

/** A sign-in's first step, which must ask for a second factor and start no session. */
async function challenge(ctx: FlowContext, user: TestUser) {
  const client = ctx.client();
  const answer = await client.auth.signIn.mutate({
    email: user.email,
    password: user.password,
    device: { name: 'e2e two-factor' },
  });
  check(isMfaRequired(answer), 'signIn gave tokens to an account with two-factor on');
  check((await client.tokenStore.get()) === null, 'the first sign-in step stored tokens');
  return { client, challengeToken: answer.challengeToken, methods: answer.methods };
}

/** enroll → secret and URI; a wrong first code is refused; the right one turns it on. */
export async function totpEnrolFlow(ctx: FlowContext) {
  const carol = ctx.newUser('carol');
  await ctx.register(carol);
  const { client } = await ctx.signIn(carol, 'e2e two-factor');
  const { secret, otpauthUri } = await client.mfa.totp.enroll.mutate({
    currentPassword: carol.password,
  });
  check(/^[A-Z2-7]+=*$/.test(secret), `the secret is not base32: ${secret}`);
  const uri = new URL(otpauthUri);
  equal(uri.protocol, 'otpauth:', 'otpauthUri protocol');
  equal(uri.searchParams.get('secret'), secret, 'the secret in otpauthUri');
  equal((await client.mfa.status.query()).totp, false, 'status.totp before confirming');

  await rejects(
    client.mfa.totp.confirm.mutate({ code: totpCode(secret, 10) }),
    { code: 'BAD_REQUEST', reason: 'MFA_CODE_INVALID' },
    'confirming with a code from outside the window',
  );
  const { recoveryCodes } = await client.mfa.totp.confirm.mutate({ code: totpCode(secret, -1) });
  equal(recoveryCodes.length, 10, 'recovery codes');
  equal(new Set(recoveryCodes).size, 10, 'distinct recovery codes');
  const after = await client.mfa.status.query();
  equal(after.totp, true, 'status.totp');
  equal(after.recoveryCodesLeft, 10, 'status.recoveryCodesLeft');
  await ctx.mail.next(carol.email, 'mfa-enabled');
  enrolments.set(ctx, { user: carol, client, secret, recoveryCodes });
}

/** signIn → mfaRequired → verifyMfa with a TOTP code → a session that says it used two factors. */
export async function totpSignInFlow(ctx: FlowContext) {
  const state = enrolled(ctx);
  const { client, challengeToken, methods } = await challenge(ctx, state.user);
  check(methods.includes('totp'), `methods lack totp: ${methods.join()}`);
  check(methods.includes('recovery'), `methods lack recovery: ${methods.join()}`);
  const code = totpCode(state.secret);
  const result = await client.auth.verifyMfa.mutate({ challengeToken, totp: code });
  state.spentCode = code;
  equal(result.user.email, state.user.email, 'verifyMfa user.email');
  const me = await client.auth.me.query();
  equal(me.session.id, result.session.id, 'me session.id');
  equal(me.session.mfa, true, 'me session.mfa');
}

/** The code that just signed in, presented again on a new sign-in, is refused. */
export async function totpReplayFlow(ctx: FlowContext) {
  const state = enrolled(ctx);
  check(state.spentCode, 'no spent code: the sign-in flow failed');
  const { client, challengeToken } = await challenge(ctx, state.user);
  await rejects(
    client.auth.verifyMfa.mutate({ challengeToken, totp: state.spentCode }),
    { code: 'BAD_REQUEST', reason: 'MFA_CODE_INVALID' },
    'signing in again with the code just used',
  );
  check((await client.tokenStore.get()) === null, 'a refused code stored tokens');
}

/** A recovery code signs in once; a new set replaces the old one. */
export async function recoveryCodeFlow(ctx: FlowContext) {
  const state = enrolled(ctx);
  const [first, second, third] = state.recoveryCodes;
  check(first && second && third, 'fewer than 3 recovery codes');
  const once = await challenge(ctx, state.user);
  const result = await once.client.auth.verifyMfa.mutate({
    challengeToken: once.challengeToken,
    recoveryCode: first,
  });
  equal(result.user.email, state.user.email, 'verifyMfa user.email');
  await ctx.mail.next(state.user.email, 'recovery-code-used');
  equal(
    (await state.client.mfa.status.query()).recoveryCodesLeft,
    9,
    'recovery codes left after one',
  );

  // One challenge takes both wrong codes (it dies after 5).
  const again = await challenge(ctx, state.user);
  const refused = (recoveryCode: string, what: string) =>
    rejects(
      again.client.auth.verifyMfa.mutate({ challengeToken: again.challengeToken, recoveryCode }),
      { code: 'BAD_REQUEST', reason: 'MFA_CODE_INVALID' },
      what,
    );
  await refused(first, 'signing in again with a spent recovery code');
  const { recoveryCodes } = await state.client.mfa.recoveryCodes.regenerate.mutate({
    currentPassword: state.user.password,
    code: second,
  });
  equal(recoveryCodes.length, 10, 'regenerated recovery codes');
  check(!recoveryCodes.includes(third), 'the new set repeats an old code');
  equal(
    (await state.client.mfa.status.query()).recoveryCodesLeft,
    10,
    'recovery codes left after a new set',
  );
  await refused(third, 'signing in with a code of the old set');
}

/** disable (password and a code) → status off → signIn gives tokens again. */
export async function totpDisableFlow(ctx: FlowContext) {
  const state = enrolled(ctx);
  const result = await state.client.mfa.totp.disable.mutate({
    currentPassword: state.user.password,
    code: totpCode(state.secret, 1),
  });
  equal(result.ok, true, 'disable ok');
  const after = await state.client.mfa.status.query();
  equal(after.totp, false, 'status.totp after disable');
  equal(after.recoveryCodesLeft, 0, 'recovery codes left after disable');
  await ctx.mail.next(state.user.email, 'mfa-disabled');
  await ctx.signIn(state.user, 'e2e after two-factor');
}
