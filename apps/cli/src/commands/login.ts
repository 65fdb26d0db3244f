import { hostname } from 'node:os';
import { memoryTokenStore } from '@cryptweb/client';
import type { Command } from 'commander';
import { createClient, runAction } from '../lib/context.js';
import { readPassword } from '../lib/password.js';

export function loginCommand(program: Command) {
  program
    .command('login')
    .description('sign in; the session is kept in the config dir for this server')
    .requiredOption('--email <email>', 'your email')
    .option('--password <password>', 'password (else CRYPTWEB_PASSWORD, else prompted)')
    .option('--device-name <name>', 'how this device appears in `cryptweb sessions`')
    .action((opts: { email: string; password?: string; deviceName?: string }, command: Command) =>
      runAction(command, async ({ client, out, options }) => {
        const password = await readPassword({
          flag: opts.password,
          env: 'CRYPTWEB_PASSWORD',
          flagName: '--password',
          prompt: `Password for ${opts.email}: `,
        });
        const previous = await client().tokenStore.get();
        const deviceName = (opts.deviceName ?? `cryptweb on ${hostname()}`).slice(0, 64);
        const result = await client().auth.signIn.mutate({
          email: opts.email,
          password,
          device: { name: deviceName },
        });
        // The old tokens were just overwritten: end their session instead of orphaning it.
        if (previous) {
          const old = createClient(options.url, memoryTokenStore(previous));
          await old.auth.signOut.mutate().catch(() => undefined);
          await old.close();
        }
        const { paint } = out;
        out.result(
          {
            user: result.user,
            session: result.session,
            accessTokenExpiresAt: result.accessTokenExpiresAt,
            refreshTokenExpiresAt: result.refreshTokenExpiresAt,
          },
          () =>
            `${paint.green('✔')} signed in as ${paint.bold(result.user.name)} <${
              result.user.email
            }> ${paint.dim(`(session ${result.session.id})`)}`,
        );
      }),
    );
}
