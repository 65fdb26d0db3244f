import { z } from 'zod';
import { revokeAllOutput, sessionIdOutput, sessionView } from '../contract.js';
import { revokeAllInput, revokeSessionInput } from '../schemas.js';
import { endOwnSession, endOwnSessions, listSessions } from '../services/sessions.js';
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
    .mutation(({ ctx, input }) => endOwnSession(ctx, ctx.session, input.sessionId, 'revoked')),

  revokeAll: authedProcedure
    .meta(
      rest('POST', '/sessions/revoke-all', 'Revoke all your sessions, optionally keeping this one'),
    )
    .input(revokeAllInput)
    .output(revokeAllOutput)
    .mutation(async ({ ctx, input }) => ({
      revoked: await endOwnSessions(ctx, ctx.session, input?.includeCurrent ?? true),
    })),
});
