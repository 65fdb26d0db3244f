import { revokeAllInput, revokeSessionInput } from '../schemas.js';
import { listSessions, revokeAllSessions, revokeSession } from '../services/sessions.js';
import { authedProcedure, router } from '../trpc.js';

export const sessionsRouter = router({
  list: authedProcedure.query(({ ctx }) => listSessions(ctx.db, ctx.env, ctx.session)),

  revoke: authedProcedure.input(revokeSessionInput).mutation(async ({ ctx, input }) => {
    const result = await revokeSession(ctx.db, ctx.session.userId, input.sessionId);
    await ctx.sessionsRevoked([result.sessionId]);
    return result;
  }),

  revokeAll: authedProcedure.input(revokeAllInput).mutation(async ({ ctx, input }) => {
    const includeCurrent = input?.includeCurrent ?? true;
    const revoked = await revokeAllSessions(ctx.db, ctx.session.userId, {
      reason: 'revoked',
      ...(includeCurrent ? {} : { except: ctx.session.sessionId }),
    });
    await ctx.sessionsRevoked(revoked);
    return { revoked };
  }),
});
