import { hostname } from 'node:os';
import { isMfaRequired, memoryTokenStore } from '@cryptweb/client';
import type { Command } from 'commander';
import { createClient, runAction } from '../lib/context.js';
import { readPassword } from '../lib/password.js';
import { ANY_CODE_PROMPT, asSecondFactor, readCode } from '../lib/second-factor.js';

export function loginCommand(program: Command) {
  program
    .command('login')
    .description('sign in; the session is kept in the config dir for this server')
    .requiredOption('--email <email>', 'your email')
    .option('--password <password>', 'password (else CRYPTWEB_PASSWORD, else prompted)')
    .option('--device-name <name>', 'how this device appears in `cryptweb sessions`')
    .option(
      '--code <code>',
      'the authenticator code or a recovery code, if the account asks (else prompted)',
    )
    .action(
      (
        opts: { email: string; password?: string; deviceName?: string; code?: string },
        command: Command,
      ) =>
        runAction(command, async ({ client, out, options }) => {
          const password = await readPassword({
            flag: opts.password,
            env: 'CRYPTWEB_PASSWORD',
            flagName: '--password',
            prompt: `Password for ${opts.email}: `,
          });
          const previous = await client().tokenStore.get();
          const deviceName = (opts.deviceName ?? `cryptweb on ${hostname()}`).slice(0, 64);
          const answer = await client().auth.signIn.mutate({
            email: opts.email,
            password,
            device: { name: deviceName },
          });
          // A second factor (SPEC §9): no session until verifyMfa, which keeps the device named above.
          const result = isMfaRequired(answer)
            ? await client().auth.verifyMfa.mutate({
                challengeToken: answer.challengeToken,
                ...asSecondFactor(await readCode(opts.code, ANY_CODE_PROMPT)),
              })
            : answer;
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
