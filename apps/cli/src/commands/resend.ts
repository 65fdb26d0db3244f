import type { Command } from 'commander';
import { runAction } from '../lib/context.js';

export function resendCommand(program: Command) {
  program
    .command('resend')
    .description('mail a new verification code (it replaces the previous one)')
    .requiredOption('--email <email>', 'the email you signed up with')
    .action((opts: { email: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const result = await client().auth.resendVerification.mutate({ email: opts.email });
        out.result(
          result,
          () =>
            `${out.paint.green('✔')} if ${opts.email} has an unverified account, a new code is on its way`,
        );
      }),
    );
}
