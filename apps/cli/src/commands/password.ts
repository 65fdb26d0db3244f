import type { Command } from 'commander';
import { runAction } from '../lib/context.js';
import { readPassword } from '../lib/password.js';

export function passwordCommand(program: Command) {
  const password = program.command('password').description('forgotten and changed passwords');

  password
    .command('forgot')
    .description('mail a password-reset link (with its token) if the account exists')
    .requiredOption('--email <email>', 'the account email')
    .action((opts: { email: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const result = await client().auth.forgotPassword.mutate({ email: opts.email });
        const { paint } = out;
        out.result(result, () =>
          [
            `${paint.green('✔')} if ${opts.email} has an account, a reset link is on its way`,
            `  then run: ${paint.cyan('cryptweb password reset --token TOKEN')}`,
          ].join('\n'),
        );
      }),
    );

  password
    .command('reset')
    .description('set a new password with the token from the reset link; every session ends')
    .requiredOption('--token <token>', 'the token from the reset email')
    .option('--password <password>', 'new password (else CRYPTWEB_PASSWORD, else prompted)')
    .action((opts: { token: string; password?: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const next = await readPassword({
          flag: opts.password,
          env: 'CRYPTWEB_PASSWORD',
          flagName: '--password',
          prompt: 'New password: ',
          confirm: true,
        });
        const result = await client().auth.resetPassword.mutate({
          token: opts.token,
          password: next,
          confirmPassword: next,
        });
        // Every session of the account was revoked, this machine's included.
        await client().tokenStore.set(null);
        out.result(
          result,
          () =>
            `${out.paint.green('✔')} password reset; every session was signed out, sign in with ${out.paint.cyan('cryptweb login')}`,
        );
      }),
    );

  password
    .command('change')
    .description('change your password; your other sessions are signed out')
    .option(
      '--current-password <password>',
      'current password (else CRYPTWEB_PASSWORD, else prompted)',
    )
    .option('--new-password <password>', 'new password (else CRYPTWEB_NEW_PASSWORD, else prompted)')
    .action((opts: { currentPassword?: string; newPassword?: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const currentPassword = await readPassword({
          flag: opts.currentPassword,
          env: 'CRYPTWEB_PASSWORD',
          flagName: '--current-password',
          prompt: 'Current password: ',
        });
        const newPassword = await readPassword({
          flag: opts.newPassword,
          env: 'CRYPTWEB_NEW_PASSWORD',
          flagName: '--new-password',
          prompt: 'New password: ',
          confirm: true,
        });
        const result = await client().auth.changePassword.mutate({ currentPassword, newPassword });
        out.result(
          result,
          () => `${out.paint.green('✔')} password changed; your other sessions were signed out`,
        );
      }),
    );
}
