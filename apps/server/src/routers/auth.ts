import type { Context } from '../context.js';
import {
  deviceDescriptionOutput,
  devicePollOutput,
  deviceStartOutput,
  meOutput,
  ok,
  passkeyRequestOptions,
  sessionIdOutput,
  signedInOutput,
  signInOutput,
  signUpOutput,
  tokenPair,
  verifyEmailOutput,
} from '../contract.js';
import { clearAuthCookies, deviceIdFromCookie, setAuthCookies } from '../cookies.js';
import { cookieCredential } from '../csrf.js';
import {
  changePasswordInput,
  devicePollInput,
  deviceStartInput,
  emailInput,
  passkeyOptionsInput,
  refreshInput,
  reportSignInInput,
  resetPasswordInput,
  signInInput,
  signInWithPasskeyInput,
  signUpInput,
  userCodeInput,
  verifyEmailInput,
  verifyMfaInput,
} from '../schemas.js';
import { resendVerification, signUp, verifyEmail } from '../services/account.js';
import {
  type ClientInfo,
  changePassword,
  refresh,
  type SignedIn,
  signIn,
} from '../services/auth.js';
import {
  decideDeviceAuthorization,
  describeDeviceAuthorization,
  pollDeviceAuthorization,
  startDeviceAuthorization,
} from '../services/device-authorization.js';
import { verifyMfa } from '../services/mfa-challenge.js';
import { passkeySignInOptions, signInWithPasskey } from '../services/passkeys.js';
import { forgotPassword, resetPassword } from '../services/password-reset.js';
import { currentUserAndSession, endOwnSession } from '../services/sessions.js';
import { reportSignIn } from '../services/sign-in-reports.js';
import { authedProcedure, publicProcedure, rest, router } from '../trpc.js';

const open = { protect: false };

/** Who is signing in from where: the address, the browser, and the device cookie if any. */
function clientInfo(ctx: Context): ClientInfo {
  return {
    ip: ctx.request.ip,
    userAgent: ctx.request.userAgent,
    deviceId: deviceIdFromCookie(ctx.request.headers),
  };
}

/** A finished sign-in also sets the browser's cookies when it came over HTTP. */
function withCookies(ctx: Context, result: SignedIn): SignedIn {
  if (ctx.request.res) setAuthCookies(ctx.request.res, ctx.env, result, result.session.deviceId);
  return result;
}

export const authRouter = router({
  signUp: publicProcedure
    .meta(rest('POST', '/auth/signup', 'Create an account; mails a 6-digit code', open))
    .input(signUpInput)
    .output(signUpOutput)
    .mutation(({ ctx, input }) => signUp(ctx, input, ctx.request.ip)),

  verifyEmail: publicProcedure
    .meta(rest('POST', '/verify/email', 'Verify the email with the mailed code', open))
    .input(verifyEmailInput)
    .output(verifyEmailOutput)
    .mutation(({ ctx, input }) => verifyEmail(ctx, input, ctx.request.ip)),

  resendVerification: publicProcedure
    .meta(rest('POST', '/verify/resend', 'Mail a new code that replaces the old one', open))
    .input(emailInput)
    .output(ok)
    .mutation(({ ctx, input }) => resendVerification(ctx, input.email, ctx.request.ip)),

  signIn: publicProcedure
    .meta(
      rest('POST', '/auth/login', 'Sign in: a new session, its tokens also set as cookies', open),
    )
    .input(signInInput)
    .output(signInOutput)
    .mutation(async ({ ctx, input }) => {
      const result = await signIn(ctx, input, clientInfo(ctx));
      return 'mfaRequired' in result ? result : withCookies(ctx, result);
    }),

  verifyMfa: publicProcedure
    .meta(rest('POST', '/auth/mfa', 'Finish a sign-in with its second factor; sets cookies', open))
    .input(verifyMfaInput)
    .output(signedInOutput)
    .mutation(async ({ ctx, input }) =>
      withCookies(ctx, await verifyMfa(ctx, input, clientInfo(ctx))),
    ),

  passkeyOptions: publicProcedure
    .meta(
      rest('POST', '/auth/passkey/options', 'WebAuthn request options for a passkey sign-in', open),
    )
    .input(passkeyOptionsInput)
    .output(passkeyRequestOptions)
    .mutation(({ ctx, input }) => passkeySignInOptions(ctx, ctx.request.ip, input?.challengeToken)),

  signInWithPasskey: publicProcedure
    .meta(rest('POST', '/auth/passkey', 'Sign in with a passkey, no password; sets cookies', open))
    .input(signInWithPasskeyInput)
    .output(signedInOutput)
    .mutation(async ({ ctx, input }) =>
      withCookies(ctx, await signInWithPasskey(ctx, input, clientInfo(ctx))),
    ),

  reportSignIn: publicProcedure
    .meta(rest('POST', '/auth/report-sign-in', '"This wasn\'t me": end a new-device session', open))
    .input(reportSignInInput)
    .output(ok)
    .mutation(({ ctx, input }) => reportSignIn(ctx, input.token)),

  device: router({
    start: publicProcedure
      .meta(
        rest('POST', '/auth/device', 'Start a sign-in to approve in a browser (RFC 8628)', open),
      )
      .input(deviceStartInput)
      .output(deviceStartOutput)
      .mutation(({ ctx, input }) =>
        startDeviceAuthorization(
          ctx,
          { clientName: input.clientName, deviceId: input.device?.id },
          clientInfo(ctx),
        ),
      ),

    poll: publicProcedure
      .meta(
        rest('POST', '/auth/device/poll', 'Poll a device sign-in: pending, or the session', open),
      )
      .input(devicePollInput)
      .output(devicePollOutput)
      .mutation(({ ctx, input }) =>
        pollDeviceAuthorization(ctx, input.deviceCode, clientInfo(ctx)),
      ),

    lookup: authedProcedure
      .meta(rest('POST', '/auth/device/lookup', 'Which client asks to sign in with this code'))
      .input(userCodeInput)
      .output(deviceDescriptionOutput)
      .mutation(({ ctx, input }) => describeDeviceAuthorization(ctx, ctx.session, input.userCode)),

    approve: authedProcedure
      .meta(rest('POST', '/auth/device/approve', 'Let the client with this code sign in as you'))
      .input(userCodeInput)
      .output(ok)
      .mutation(({ ctx, input }) =>
        decideDeviceAuthorization(ctx, ctx.session, input.userCode, 'approved'),
      ),

    deny: authedProcedure
      .meta(rest('POST', '/auth/device/deny', 'Refuse the client with this code'))
      .input(userCodeInput)
      .output(ok)
      .mutation(({ ctx, input }) =>
        decideDeviceAuthorization(ctx, ctx.session, input.userCode, 'denied'),
      ),
  }),

  refresh: publicProcedure
    .meta(
      rest('POST', '/auth/refresh', 'Rotate the refresh token (from the body or the cookie)', open),
    )
    .input(refreshInput)
    .output(tokenPair)
    .mutation(async ({ ctx, input }) => {
      // The cookie is read only over HTTP, where it is guarded against other sites (SPEC §6.1); a
      // socket never turns the browser's HttpOnly cookie into tokens a page could read.
      const token =
        input?.refreshToken ??
        (ctx.request.transport === 'http' ? cookieCredential(ctx, 'refreshToken') : undefined);
      const { deviceId, ...pair } = await refresh(ctx, token);
      if (ctx.request.res) setAuthCookies(ctx.request.res, ctx.env, pair, deviceId);
      return pair;
    }),

  signOut: authedProcedure
    .meta(rest('POST', '/auth/logout', 'Sign out: this session is revoked, cookies cleared'))
    .output(sessionIdOutput)
    .mutation(async ({ ctx }) => {
      const result = await endOwnSession(ctx, ctx.session, ctx.session.sessionId, 'signed-out');
      if (ctx.request.res) clearAuthCookies(ctx.request.res, ctx.env);
      return result;
    }),

  me: authedProcedure
    .meta(rest('GET', '/auth/me', 'The signed-in user and this session'))
    .output(meOutput)
    .query(({ ctx }) => currentUserAndSession(ctx.db, ctx.session)),

  changePassword: authedProcedure
    .meta(rest('POST', '/password/change', 'Change the password; other sessions are revoked'))
    .input(changePasswordInput)
    .output(ok)
    .mutation(async ({ ctx, input }) => {
      await changePassword(ctx, ctx.session, input);
      return { ok: true as const };
    }),

  forgotPassword: publicProcedure
    .meta(rest('POST', '/password/forgot', 'Mail a password-reset link', open))
    .input(emailInput)
    .output(ok)
    .mutation(({ ctx, input }) => forgotPassword(ctx, input.email, ctx.request.ip)),

  resetPassword: publicProcedure
    .meta(rest('POST', '/password/reset', 'Set a new password from a reset link', open))
    .input(resetPasswordInput)
    .output(ok)
    .mutation(async ({ ctx, input }) => {
      await resetPassword(ctx, input);
      return { ok: true as const };
    }),
});
