import { rateLimitSubject } from '../client-ip.js';
import { healthOutput } from '../contract.js';
import { DomainError } from '../errors.js';
import { checkHealth } from '../services/health.js';
import { limit } from '../services/rate-limit.js';
import { publicProcedure, rest, router } from '../trpc.js';

export const healthRouter = router({
  check: publicProcedure
    .meta(rest('GET', '/health', 'Health of the app and its database', { protect: false }))
    .output(healthOutput)
    .query(async ({ ctx }) => {
      // Counted only while the database answers: a down database must still report itself.
      await limit(ctx, 'health.ip', rateLimitSubject(ctx.request.ip)).catch((error: unknown) => {
        if (error instanceof DomainError) throw error;
      });
      return checkHealth(ctx);
    }),
});
