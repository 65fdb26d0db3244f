import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createFlowContext } from '../flows/context.js';
import { FLOWS, type FlowResult, runFlows } from '../flows/index.js';
import { createMailbox } from '../flows/mailbox.js';
import { type SpawnedServer, spawnServer } from '../flows/server-process.js';
import type { Painter } from '../lib/colors.js';
import { runAction } from '../lib/context.js';
import { formatDuration } from '../lib/format.js';
import { renderTable } from '../lib/table.js';

interface E2eOptions {
  mailFile?: string;
  databaseUrl?: string;
}

export function e2eCommand(program: Command) {
  program
    .command('e2e')
    .description(
      'run every flow of the API end to end and print pass/fail with timings; with --url against ' +
        'that server (CRYPTWEB_URL is ignored here), otherwise against a server it spawns on a ' +
        'temporary PGlite (needs `pnpm build`), where the admin flows run too (its ADMIN_EMAILS names an account of the run)',
    )
    .option(
      '--mail-file <path>',
      "with --url: the server's MAIL_FILE (file transport), to read codes and reset tokens " +
        'from (default: ./.data/mail.jsonl when it exists)',
    )
    .option('--database-url <url>', 'spawn the server on this PostgreSQL instead of PGlite')
    .action((opts: E2eOptions, command: Command) =>
      runAction(command, async ({ out, options }) => {
        const explicitUrl = command.getOptionValueSourceWithGlobals('url') === 'cli';
        let server: SpawnedServer | undefined;
        const stopOnSignal = () => void server?.stop().finally(() => process.exit(130));
        process.once('SIGINT', stopOnSignal);
        process.once('SIGTERM', stopOnSignal);
        try {
          // A server of its own can make an admin of this run's account: the admin flows need one.
          const adminEmail = explicitUrl
            ? undefined
            : `e2e-${randomBytes(6).toString('hex')}-admin@example.test`;
          if (adminEmail) {
            out.note('starting a server on a temporary database…');
            server = await spawnServer({
              ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
              env: { ADMIN_EMAILS: adminEmail },
            });
          }
          const url = server?.url ?? options.url;
          const mailFile = opts.mailFile
            ? resolve(opts.mailFile)
            : (server?.mailFile ?? guessMailFile());
          out.note(
            `running against ${url}${mailFile ? `, mail from ${mailFile}` : ' (no mail file)'}`,
          );
          const ctx = createFlowContext(url, createMailbox(mailFile), { adminEmail });
          const started = performance.now();
          let results: FlowResult[];
          try {
            results = await runFlows(ctx, FLOWS, (r) =>
              out.note(
                r.skipped
                  ? `- ${r.name} (skipped: ${r.skipped})`
                  : `${r.ok ? '✔' : '✘'} ${r.name} (${r.ms} ms)`,
              ),
            );
          } finally {
            await ctx.close();
          }
          const totalMs = Math.round(performance.now() - started);
          const ok = results.every((result) => result.ok);
          if (!ok) process.exitCode = 1;
          out.result({ ok, url, spawned: server !== undefined, totalMs, flows: results }, () =>
            report(results, totalMs, out.paint),
          );
          if (!ok && server) out.note(`server log tail:\n${server.output().slice(-4000)}`);
        } finally {
          process.off('SIGINT', stopOnSignal);
          process.off('SIGTERM', stopOnSignal);
          await server?.stop();
        }
      }),
    );
}

/** A server started with `pnpm start` from this directory writes its mail here. */
function guessMailFile(): string | undefined {
  const candidate = resolve('.data', 'mail.jsonl');
  return existsSync(candidate) ? candidate : undefined;
}

function outcome(r: FlowResult, paint: Painter): string {
  if (r.skipped) return paint.dim('skip');
  return r.ok ? paint.green('pass') : paint.red('FAIL');
}

function report(results: FlowResult[], totalMs: number, paint: Painter): string {
  const table = renderTable(
    ['flow', 'result', 'ms'],
    results.map((r) => [r.name, outcome(r, paint), r.skipped ? '' : String(r.ms)]),
    { align: ['left', 'left', 'right'], header: paint.dim },
  );
  const failures = results
    .filter((r) => !r.ok)
    .map((r) => `${paint.red('✘')} ${paint.bold(r.name)}: ${r.error ?? 'failed'}`);
  const ran = results.filter((r) => !r.skipped);
  const skipped = results.filter((r) => r.skipped);
  const passed = ran.filter((r) => r.ok).length;
  // "N/N flows passed" counts the flows that ran; the skipped ones and why follow it.
  const summary = `${passed}/${ran.length} flows passed in ${formatDuration(totalMs)}${
    skipped.length
      ? `, ${skipped.length} skipped (${[...new Set(skipped.map((r) => r.skipped))].join('; ')})`
      : ''
  }`;
  return [
    table,
    '',
    ...failures,
    ...(failures.length ? [''] : []),
    passed === ran.length ? paint.green(summary) : paint.red(summary),
  ].join('\n');
}
