import { mfaStatusOutput, ok, recoveryCodesOutput, totpEnrollOutput } from '../contract.js';
import { confirmTotpInput, enrollTotpInput, reauthWithCodeInput } from '../schemas.js';
import {
  confirmTotp,
  disableTotp,
  enrollTotp,
  mfaStatus,
  regenerateRecoveryCodes,
} from '../services/mfa.js';
import { authedProcedure, rest, router } from '../trpc.js';

/** Second factors of the signed-in account (SPEC §9). */
export const mfaRouter = router({
  status: authedProcedure
    .meta(rest('GET', '/mfa', 'Which second factors are on, and recovery codes left'))
    .output(mfaStatusOutput)
    .query(({ ctx }) => mfaStatus(ctx.db, ctx.session)),

  totp: router({
    enroll: authedProcedure
      .meta(rest('POST', '/mfa/totp/enroll', 'Start an authenticator enrolment: secret and URI'))
      .input(enrollTotpInput)
      .output(totpEnrollOutput)
      .mutation(({ ctx, input }) => enrollTotp(ctx, ctx.session, input)),

    confirm: authedProcedure
      .meta(rest('POST', '/mfa/totp/confirm', 'Confirm with a first code; answers recovery codes'))
      .input(confirmTotpInput)
      .output(recoveryCodesOutput)
      .mutation(({ ctx, input }) => confirmTotp(ctx, ctx.session, input)),

    disable: authedProcedure
      .meta(rest('POST', '/mfa/totp/disable', 'Turn two-factor off (password and a code)'))
      .input(reauthWithCodeInput)
      .output(ok)
      .mutation(({ ctx, input }) => disableTotp(ctx, ctx.session, input)),
  }),

  recoveryCodes: router({
    regenerate: authedProcedure
      .meta(rest('POST', '/mfa/recovery-codes', 'New recovery codes; the old ones die'))
      .input(reauthWithCodeInput)
      .output(recoveryCodesOutput)
      .mutation(({ ctx, input }) => regenerateRecoveryCodes(ctx, ctx.session, input)),
  }),
});
