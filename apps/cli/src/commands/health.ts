import type { Command } from 'commander';
import { runAction } from '../lib/context.js';
import { formatDuration } from '../lib/format.js';

export function healthCommand(program: Command) {
  program
    .command('health')
    .description("show the server's health report")
    .action((_opts: unknown, command: Command) =>
      runAction(command, async ({ client, out, options }) => {
        const report = await client().health.check.query();
        const { paint } = out;
        const ok = (good: boolean, text: string) => (good ? paint.green(text) : paint.red(text));
        out.result(report, () =>
          [
            `${paint.dim('server')}    ${options.url}`,
            `${paint.dim('app')}       ${ok(report.app.status === 'up', report.app.status)} v${
              report.app.version
            }, up ${formatDuration(report.app.uptime * 1000)}`,
            `${paint.dim('database')}  ${ok(report.database.status === 'healthy', report.database.status)} (${
              report.database.driver
            }, ${report.database.latencyMs} ms)`,
          ].join('\n'),
        );
      }),
    );
}
