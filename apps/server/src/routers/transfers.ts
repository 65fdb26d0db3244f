import { transferListOutput, transferStatsOutput, transferView } from '../contract.js';
import { completeTransferInput, listTransfersInput } from '../schemas.js';
import { completeTransfer, listTransfers, transferStats } from '../services/transfers.js';
import { authedProcedure, rest, router } from '../trpc.js';

export const transfersRouter = router({
  complete: authedProcedure
    .meta(rest('POST', '/file-transfers/complete', 'Record a finished transfer sent by the caller'))
    .input(completeTransferInput)
    .output(transferView)
    .mutation(({ ctx, input }) => completeTransfer(ctx.db, ctx.session.userId, input)),

  list: authedProcedure
    .meta(
      rest('GET', '/file-transfers', "The caller's transfers, newest first, one page at a time"),
    )
    .input(listTransfersInput)
    .output(transferListOutput)
    .query(({ ctx, input }) => listTransfers(ctx.db, ctx.session.userId, input)),

  stats: authedProcedure
    .meta(rest('GET', '/file-transfers/stats', 'Counts and bytes sent and received'))
    .output(transferStatsOutput)
    .query(({ ctx }) => transferStats(ctx.db, ctx.session.userId)),
});
