import { completeTransferInput, listTransfersInput } from '../schemas.js';
import { completeTransfer, listTransfers, transferStats } from '../services/transfers.js';
import { authedProcedure, router } from '../trpc.js';

export const transfersRouter = router({
  complete: authedProcedure
    .input(completeTransferInput)
    .mutation(({ ctx, input }) => completeTransfer(ctx.db, ctx.session.userId, input)),

  list: authedProcedure
    .input(listTransfersInput)
    .query(({ ctx, input }) => listTransfers(ctx.db, ctx.session.userId, input)),

  stats: authedProcedure.query(({ ctx }) => transferStats(ctx.db, ctx.session.userId)),
});
