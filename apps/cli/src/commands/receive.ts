import { receiveFile } from '@cryptweb/client';
import type { Command } from 'commander';
import { runAction } from '../lib/context.js';
import { CliError } from '../lib/errors.js';
import { fileSink } from '../p2p/files.js';
import { createPeerConnection } from '../p2p/peer-connection.js';
import { formatBytes, progressBar } from '../p2p/progress.js';

export function receiveCommand(program: Command) {
  program
    .command('receive')
    .description('wait for one file sent with `cryptweb send` and save it')
    .option('--out <dir>', 'where to save the file', '.')
    .option('--from <email>', 'accept only a file from this sender')
    .action((opts: { out: string; from?: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        if (!(await client().tokenStore.get())) {
          throw new CliError('not signed in', 'sign in with `cryptweb login`');
        }
        const bar = progressBar('receiving', !out.json && process.stderr.isTTY === true);
        let last = { bytes: 0, total: 0, rate: 0, etaSeconds: 0 };
        let savedTo = '';
        const ready = await client().signaling.connect();
        // The listening line tells scripts (and people) the device is ready for an offer.
        out.note(
          `waiting for a file as ${ready.self.name} <${ready.self.email}> (peer ${ready.peerId})…`,
        );
        const from = opts.from?.trim().toLowerCase();
        const result = await receiveFile({
          client: client(),
          createPeerConnection,
          accept: (peer) => !from || peer.email === from,
          sink: async (meta, peer) => {
            out.note(
              `receiving ${meta.name} (${formatBytes(meta.size)}) from ${peer.name} <${peer.email}>`,
            );
            const sink = await fileSink(opts.out, meta);
            savedTo = sink.path;
            return sink;
          },
          onProgress: (progress) => {
            last = progress;
            bar.update(progress);
          },
        });
        bar.done(last);
        out.result(
          {
            path: savedTo,
            from: result.from,
            meta: result.meta,
            bytes: result.bytes,
            sha256: result.sha256,
          },
          () =>
            `${out.paint.green('received')} ${result.meta.name} (${formatBytes(result.bytes)}) from ${result.from.name} <${result.from.email}>\n` +
            `${out.paint.dim('saved to')} ${savedTo}\n${out.paint.dim('sha256')}   ${result.sha256} ${out.paint.green('verified')}`,
        );
      }),
    );
}
