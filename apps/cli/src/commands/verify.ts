import type { Command } from 'commander';
import { runAction } from '../lib/context.js';

export function verifyCommand(program: Command) {
  program
    .command('verify')
    .description('verify your email with the mailed 6-digit code')
    .requiredOption('--email <email>', 'the email you signed up with')
    .requiredOption('--code <code>', 'the 6-digit code from the email')
    .action((opts: { email: string; code: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const result = await client().auth.verifyEmail.mutate(opts);
        const { paint } = out;
        out.result(result, () =>
          result.alreadyVerified
            ? `${paint.green('✔')} ${opts.email} was already verified`
            : `${paint.green('✔')} ${opts.email} verified; sign in with ${paint.cyan(
                `cryptweb login --email ${opts.email}`,
              )}`,
        );
      }),
    );
}
