import { clearAuthCookies, deviceIdFromCookie, readCookies, setAuthCookies } from '../cookies.js';
import {
  changePasswordInput,
  emailInput,
  refreshInput,
  resetPasswordInput,
  signInInput,
  signUpInput,
  verifyEmailInput,
} from '../schemas.js';
import { resendVerification, signUp, verifyEmail } from '../services/account.js';
import { changePassword, currentUser, refresh, signIn } from '../services/auth.js';
import { forgotPassword, resetPassword } from '../services/password-reset.js';
import { getSessionView, revokeSession } from '../services/sessions.js';
import { authedProcedure, publicProcedure, router } from '../trpc.js';

const ipOf = (ip: string | undefined) => ip ?? 'unknown';

export const authRouter = router({
  signUp: publicProcedure
    .input(signUpInput)
    .mutation(({ ctx, input }) => signUp(ctx, input, ipOf(ctx.request.ip))),

  verifyEmail: publicProcedure
    .input(verifyEmailInput)
    .mutation(({ ctx, input }) => verifyEmail(ctx, input, ipOf(ctx.request.ip))),

  resendVerification: publicProcedure
    .input(emailInput)
    .mutation(({ ctx, input }) => resendVerification(ctx, input.email)),

  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    const result = await signIn(ctx, input, {
      ip: ctx.request.ip,
      userAgent: ctx.request.userAgent,
      deviceId: deviceIdFromCookie(ctx.request.headers),
    });
    if (ctx.request.res) setAuthCookies(ctx.request.res, ctx.env, result, result.session.deviceId);
    return result;
  }),

  refresh: publicProcedure.input(refreshInput).mutation(async ({ ctx, input }) => {
    const token = input?.refreshToken ?? readCookies(ctx.request.headers).refreshToken;
    const { deviceId, ...pair } = await refresh(ctx, token);
    if (ctx.request.res) setAuthCookies(ctx.request.res, ctx.env, pair, deviceId);
    return pair;
  }),

  signOut: authedProcedure.mutation(async ({ ctx }) => {
    const result = await revokeSession(
      ctx.db,
      ctx.session.userId,
      ctx.session.sessionId,
      'signed-out',
    );
    await ctx.sessionsRevoked([result.sessionId]);
    if (ctx.request.res) clearAuthCookies(ctx.request.res, ctx.env);
    return result;
  }),

  me: authedProcedure.query(async ({ ctx }) => ({
    user: await currentUser(ctx.db, ctx.session),
    session: await getSessionView(ctx.db, ctx.session),
  })),

  changePassword: authedProcedure.input(changePasswordInput).mutation(async ({ ctx, input }) => {
    await changePassword(ctx, ctx.session, input);
    return { ok: true as const };
  }),

  forgotPassword: publicProcedure
    .input(emailInput)
    .mutation(({ ctx, input }) => forgotPassword(ctx, input.email)),

  resetPassword: publicProcedure.input(resetPasswordInput).mutation(async ({ ctx, input }) => {
    await resetPassword(ctx, input);
    return { ok: true as const };
  }),
});
