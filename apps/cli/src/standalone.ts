#!/usr/bin/env node
import type { Command } from 'commander';
import { runAction } from './lib/context.js';
import { CliError } from './lib/errors.js';
import { createProgram } from './program.js';

// The entry of the standalone bundle (`npm install -g` of the packed tarball). `bench` needs the
// workspace (the server build, PostgreSQL databases, the PeerJS and Socket.IO baselines), so here it
// only says where it runs.
const program = createProgram();
program
  .command('bench')
  .description('benchmarks: run `pnpm bench` in a clone of the repository (not in this package)')
  .allowUnknownOption()
  .allowExcessArguments()
  .action((_options: unknown, command: Command) =>
    runAction(command, async () => {
      throw new CliError(
        'the benchmarks are not part of the installed cryptweb',
        'run `pnpm bench` (or `pnpm bench --quick`) in a clone of the CryptWeb repository',
      );
    }),
  );

await program.parseAsync();
