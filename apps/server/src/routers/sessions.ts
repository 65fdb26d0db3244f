import { z } from 'zod';
import { revokeAllOutput, sessionIdOutput, sessionView } from '../contract.js';
import { revokeAllInput, revokeSessionInput } from '../schemas.js';
import { listSessions, revokeAllSessions, revokeSession } from '../services/sessions.js';
import { authedProcedure, rest, router } from '../trpc.js';

export const sessionsRouter = router({
  list: authedProcedure
    .meta(rest('GET', '/sessions', "The caller's live sessions, newest first"))
    .output(z.array(sessionView))
    .query(({ ctx }) => listSessions(ctx.db, ctx.env, ctx.session)),

  revoke: authedProcedure
    .meta(rest('DELETE', '/sessions/{sessionId}', 'Revoke one of your own sessions'))
    .input(revokeSessionInput)
    .output(sessionIdOutput)
    .mutation(async ({ ctx, input }) => {
      const result = await revokeSession(ctx.db, ctx.session.userId, input.sessionId);
      await ctx.sessionsRevoked([result.sessionId]);
      return result;
    }),

  revokeAll: authedProcedure
    .meta(
      rest('POST', '/sessions/revoke-all', 'Revoke all your sessions, optionally keeping this one'),
    )
    .input(revokeAllInput)
    .output(revokeAllOutput)
    .mutation(async ({ ctx, input }) => {
      const includeCurrent = input?.includeCurrent ?? true;
      const revoked = await revokeAllSessions(ctx.db, ctx.session.userId, {
        reason: 'revoked',
        ...(includeCurrent ? {} : { except: ctx.session.sessionId }),
      });
      await ctx.sessionsRevoked(revoked);
      return { revoked };
    }),
});
