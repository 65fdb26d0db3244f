import { accountExportOutput, ok, securityLogOutput, userOutput } from '../contract.js';
import {
  changeEmailInput,
  confirmEmailChangeInput,
  deleteAccountInput,
  securityLogInput,
  updateProfileInput,
} from '../schemas.js';
import { deleteAccount } from '../services/account-deletion.js';
import { exportAccount } from '../services/account-export.js';
import { changeEmail, confirmEmailChange, updateProfile } from '../services/account-lifecycle.js';
import { listEvents } from '../services/security-log.js';
import { authedProcedure, rest, router } from '../trpc.js';

/** The signed-in account itself (SPEC §10): its security log, profile and lifecycle. */
export const accountRouter = router({
  securityLog: authedProcedure
    .meta(rest('GET', '/account/security-log', 'Your security events, newest first'))
    .input(securityLogInput)
    .output(securityLogOutput)
    .query(({ ctx, input }) =>
      listEvents(ctx.db, {
        userId: ctx.session.userId,
        limit: input?.limit ?? 20,
        cursor: input?.cursor,
        type: input?.type,
      }),
    ),

  updateProfile: authedProcedure
    .meta(rest('POST', '/account/profile', 'Change your name'))
    .input(updateProfileInput)
    .output(userOutput)
    .mutation(({ ctx, input }) => updateProfile(ctx, ctx.session, input)),

  changeEmail: authedProcedure
    .meta(rest('POST', '/account/email', 'Mail a code to a new address (needs your password)'))
    .input(changeEmailInput)
    .output(ok)
    .mutation(({ ctx, input }) => changeEmail(ctx, ctx.session, input)),

  confirmEmailChange: authedProcedure
    .meta(rest('POST', '/account/email/confirm', 'Make the new address yours with its code'))
    .input(confirmEmailChangeInput)
    .output(userOutput)
    .mutation(({ ctx, input }) => confirmEmailChange(ctx, ctx.session, input)),

  delete: authedProcedure
    .meta(rest('POST', '/account/delete', 'Delete your account and its personal data'))
    .input(deleteAccountInput)
    .output(ok)
    .mutation(({ ctx, input }) => deleteAccount(ctx, ctx.session, input)),

  export: authedProcedure
    .meta(rest('GET', '/account/export', 'Your profile, sessions, transfers and security log'))
    .output(accountExportOutput)
    .query(({ ctx }) => exportAccount(ctx, ctx.session)),
});
