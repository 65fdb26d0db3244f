import { router } from '../trpc.js';
import { accountRouter } from './account.js';
import { adminRouter } from './admin.js';
import { authRouter } from './auth.js';
import { healthRouter } from './health.js';
import { mfaRouter } from './mfa.js';
import { passkeysRouter } from './passkeys.js';
import { sessionsRouter } from './sessions.js';
import { signalingRouter } from './signaling.js';
import { transfersRouter } from './transfers.js';

export const appRouter = router({
  health: healthRouter,
  auth: authRouter,
  account: accountRouter,
  admin: adminRouter,
  mfa: mfaRouter,
  passkeys: passkeysRouter,
  sessions: sessionsRouter,
  transfers: transfersRouter,
  signaling: signalingRouter,
});

export type AppRouter = typeof appRouter;
