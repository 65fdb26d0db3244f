import { securityLogOutput } from '../contract.js';
import { securityLogInput } from '../schemas.js';
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
});
