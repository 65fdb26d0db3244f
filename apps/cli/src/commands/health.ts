import { createCryptwebClient } from '@cryptweb/client';
import type { Command } from 'commander';

export function healthCommand(program: Command) {
  program
    .command('health')
    .description("show the server's health report")
    .action(async () => {
      const { url, json } = program.opts<{ url: string; json?: boolean }>();
      const client = createCryptwebClient({ url });
      try {
        const report = await client.health.check.query();
        if (json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        process.stdout.write(
          `app ${report.app.status} v${report.app.version}, up ${report.app.uptime}s\n` +
            `database ${report.database.status} (${report.database.driver}, ${report.database.latencyMs} ms)\n`,
        );
      } catch (error) {
        process.stderr.write(`health check failed: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
