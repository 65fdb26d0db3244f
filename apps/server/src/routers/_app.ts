import { router } from '../trpc.js';
import { authRouter } from './auth.js';
import { healthRouter } from './health.js';
import { sessionsRouter } from './sessions.js';

export const appRouter = router({
  health: healthRouter,
  auth: authRouter,
  sessions: sessionsRouter,
});

export type AppRouter = typeof appRouter;
