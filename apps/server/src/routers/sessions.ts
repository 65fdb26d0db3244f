import { revokeAllInput, revokeSessionInput } from '../schemas.js';
import { listSessions, revokeAllSessions, revokeSession } from '../services/sessions.js';
import { authedProcedure, router } from '../trpc.js';

export const sessionsRouter = router({
  list: authedProcedure.query(({ ctx }) => listSessions(ctx.db, ctx.env, ctx.session)),

  revoke: authedProcedure
    .input(revokeSessionInput)
    .mutation(({ ctx, input }) => revokeSession(ctx.db, ctx.session.userId, input.sessionId)),

  revokeAll: authedProcedure.input(revokeAllInput).mutation(async ({ ctx, input }) => {
    const includeCurrent = input?.includeCurrent ?? true;
    const revoked = await revokeAllSessions(ctx.db, ctx.session.userId, {
      reason: 'revoked',
      ...(includeCurrent ? {} : { except: ctx.session.sessionId }),
    });
    return { revoked };
  }),
});
