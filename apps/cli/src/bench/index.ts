import type { Command } from 'commander';
import { type BenchFlags, resolveOptions } from './options.js';
import { renderTable, writeReport } from './report.js';
import { runBench } from './run.js';
import { defaultResultsDir } from './support/paths.js';

export type { BenchOptions } from './options.js';
export type { BenchReport } from './report.js';
export { resolveOptions, runBench };

/** Adds `cryptweb bench`: every system under test on 127.0.0.1, a table and a JSON report. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'benchmark CryptWeb against a raw ws relay, the PeerJS server and a Socket.IO relay: ' +
        'relay rate and latency, connection capacity, scale-out, auth throughput, start-up',
    )
    .option('--quick', 'a seconds-long smoke run with tiny numbers (what CI runs)')
    .option('--scenarios <list>', 'relay,capacity,scale-out,auth,startup (default: all)')
    .option('--systems <list>', 'cryptweb,cryptweb-pglite,ws,peerjs,socketio (default: all)')
    .option('--pairs <n>', 'relay and scale-out peer pairs (default 100)')
    .option(
      '--rates <list>',
      'stepped offered rates in msgs/s (default 1000,2000,5000,7500,10000,…,80000)',
    )
    .option('--duration <seconds>', 'length of each relay step and auth measurement (default 3)')
    .option('--drain <seconds>', 'wait for late messages after each step (default 2)')
    .option('--connections <n>', 'capacity: idle authenticated subscriptions (default 10000)')
    .option('--generators <n>', 'load generator processes (default 2)')
    .option(
      '--bcrypt-cost <n>',
      'auth: BCRYPT_COST of the server and the raw baseline (default 12)',
    )
    .option('--concurrency <n>', 'auth: HTTP requests in flight (default 16)')
    .option(
      '--postgres-url <url>',
      'PostgreSQL server for the bench databases, or "none" (default postgres://postgres@127.0.0.1:5432/postgres)',
    )
    .option('--out <dir>', 'directory for the JSON report (default bench/results)')
    .option('--profile <dir>', 'run the CryptWeb servers under load with --cpu-prof, profiles here')
    .action(async (flags: BenchFlags, command: Command) => {
      const options = resolveOptions(flags, defaultResultsDir);
      const report = await runBench(options);
      const file = writeReport(report);
      const json = (command.optsWithGlobals() as { json?: boolean }).json === true;
      process.stdout.write(
        json ? `${JSON.stringify(report, null, 2)}\n` : `${renderTable(report)}\n`,
      );
      process.stderr.write(`report written to ${file}\n`);
    });
}
