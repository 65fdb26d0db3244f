import { sendFile } from '@cryptweb/client';
import type { Command } from 'commander';
import { runAction } from '../lib/context.js';
import { CliError } from '../lib/errors.js';
import { fileSource } from '../p2p/files.js';
import { createPeerConnection } from '../p2p/peer-connection.js';
import { formatBytes, progressBar } from '../p2p/progress.js';

export function sendCommand(program: Command) {
  program
    .command('send')
    .description('send a file peer-to-peer to a signed-in user (they run `cryptweb receive`)')
    .argument('<file>', 'the file to send')
    .requiredOption('--to <email>', "the receiver's email")
    .option('--timeout <seconds>', 'how long to wait for the receiver to answer', '60')
    .action((file: string, opts: { to: string; timeout: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        if (!(await client().tokenStore.get())) {
          throw new CliError('not signed in', 'sign in with `cryptweb login`');
        }
        const source = await fileSource(file).catch((error: unknown) => {
          throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
        });
        const timeout = Number(opts.timeout);
        if (!Number.isFinite(timeout) || timeout <= 0)
          throw new CliError('--timeout must be a positive number');
        out.note(`offering ${source.name} (${formatBytes(source.size)}) to ${opts.to}…`);
        const bar = progressBar('sending ', !out.json && process.stderr.isTTY === true);
        let last = { bytes: 0, total: source.size, rate: 0, etaSeconds: 0 };
        const result = await sendFile({
          client: client(),
          to: opts.to,
          file: source,
          createPeerConnection,
          answerTimeoutMs: timeout * 1000,
          onProgress: (progress) => {
            last = progress;
            bar.update(progress);
          },
        });
        bar.done(last);
        out.result(
          {
            transfer: result.transfer,
            sha256: result.sha256,
            bytes: result.bytes,
            timeElapsed: result.timeElapsed,
            receiver: result.receiver,
          },
          () =>
            `${out.paint.green('sent')} ${source.name} (${formatBytes(result.bytes)}) to ${result.receiver.name} <${result.receiver.email}> in ${(result.timeElapsed / 1000).toFixed(1)} s, ` +
            `${formatBytes(result.bytes / Math.max(result.timeElapsed / 1000, 0.001))}/s\n` +
            `${out.paint.dim('sha256')} ${result.sha256} ${out.paint.green('verified by the receiver')}`,
        );
      }),
    );
}
