import type { Command } from 'commander';
import { runAction } from '../lib/context.js';
import { CliError } from '../lib/errors.js';
import { formatDate } from '../lib/format.js';

export function whoamiCommand(program: Command) {
  program
    .command('whoami')
    .description('show the signed-in user and this session')
    .action((_opts: unknown, command: Command) =>
      runAction(command, async ({ client, out, options }) => {
        if (!(await client().tokenStore.get())) {
          throw new CliError(`not signed in to ${options.url}`, 'sign in with `cryptweb login`');
        }
        const me = await client().auth.me.query();
        const { paint } = out;
        const device = me.session.device.name ?? me.session.device.browser ?? 'unknown device';
        out.result(me, () =>
          [
            `${paint.bold(me.user.name)} <${me.user.email}> ${
              me.user.emailVerified ? paint.green('verified') : paint.yellow('not verified')
            }`,
            `${paint.dim('user')}     ${me.user.id}`,
            `${paint.dim('session')}  ${me.session.id} on ${device}`,
            `${paint.dim('server')}   ${options.url}`,
            `${paint.dim('expires')}  ${formatDate(me.session.expiresAt)}`,
          ].join('\n'),
        );
      }),
    );
}
