import { healthOutput } from '../contract.js';
import { DomainError } from '../errors.js';
import { checkHealth } from '../services/health.js';
import { hit, limitFor } from '../services/rate-limit.js';
import { publicProcedure, rest, router } from '../trpc.js';

export const healthRouter = router({
  check: publicProcedure
    .meta(rest('GET', '/health', 'Health of the app and its database', { protect: false }))
    .output(healthOutput)
    .query(async ({ ctx }) => {
      // Counted only while the database answers: a down database must still report itself.
      await hit(
        ctx.db,
        limitFor(ctx.env, 'health.ip'),
        'health.ip',
        ctx.request.ip ?? 'unknown',
      ).catch((error: unknown) => {
        if (error instanceof DomainError) throw error;
      });
      return checkHealth(ctx);
    }),
});
