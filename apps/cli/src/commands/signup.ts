import type { Command } from 'commander';
import { runAction } from '../lib/context.js';
import { readPassword } from '../lib/password.js';

export function signupCommand(program: Command) {
  program
    .command('signup')
    .description('create an account; a 6-digit code is mailed to verify the email')
    .requiredOption('--name <name>', 'your name (1–30 characters)')
    .requiredOption('--email <email>', 'your email')
    .option('--password <password>', 'password (else CRYPTWEB_PASSWORD, else prompted)')
    .action((opts: { name: string; email: string; password?: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const password = await readPassword({
          flag: opts.password,
          env: 'CRYPTWEB_PASSWORD',
          flagName: '--password',
          prompt: 'Choose a password (8–128 characters): ',
          confirm: true,
        });
        const { user } = await client().auth.signUp.mutate({
          name: opts.name,
          email: opts.email,
          password,
        });
        const { paint } = out;
        out.result({ user }, () =>
          [
            `${paint.green('✔')} account created for ${paint.bold(user.name)} <${user.email}>`,
            `  a 6-digit code is on its way; then run:`,
            `  ${paint.cyan(`cryptweb verify --email ${user.email} --code CODE`)}`,
          ].join('\n'),
        );
      }),
    );
}
