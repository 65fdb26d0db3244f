import type { TRPCClient } from '@trpc/client';
import type { AppRouter } from '../../src/routers/_app.js';
import type { CompleteTransferInput } from '../../src/schemas.js';

/** Records a finished transfer from the client's user to `receiverEmail`; `file` overrides the rest. */
export function recordTransfer(
  client: TRPCClient<AppRouter>,
  receiverEmail: string,
  file: Partial<Omit<CompleteTransferInput, 'receiverEmail'>> = {},
) {
  return client.transfers.complete.mutate({
    receiverEmail,
    fileName: 'file.bin',
    fileSize: 1,
    fileType: 'application/octet-stream',
    timeElapsed: 1,
    transferType: 'WebRTC',
    ...file,
  });
}
