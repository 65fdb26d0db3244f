import { hostname } from 'node:os';
import { isMfaRequired, memoryTokenStore, type StoredTokens } from '@cryptweb/client';
import type { Command } from 'commander';
import { type Cli, createClient, runAction } from '../lib/context.js';
import { type SignedIn, signInThroughBrowser } from '../lib/device-login.js';
import { CliError } from '../lib/errors.js';
import { readPassword } from '../lib/password.js';
import { ANY_CODE_PROMPT, asSecondFactor, readCode } from '../lib/second-factor.js';

interface LoginOptions {
  email?: string;
  password?: string;
  deviceName?: string;
  code?: string;
  browser: boolean;
}

/** Password, then a second factor if the account has one (SPEC §9). */
async function signInWithPassword(
  { client }: Cli,
  email: string,
  opts: LoginOptions,
  deviceName: string,
) {
  const password = await readPassword({
    flag: opts.password,
    env: 'CRYPTWEB_PASSWORD',
    flagName: '--password',
    prompt: `Password for ${email}: `,
  });
  const answer = await client().auth.signIn.mutate({
    email,
    password,
    device: { name: deviceName },
  });
  // A second factor (SPEC §9): no session until verifyMfa, which keeps the device named above.
  return isMfaRequired(answer)
    ? client().auth.verifyMfa.mutate({
        challengeToken: answer.challengeToken,
        ...asSecondFactor(await readCode(opts.code, ANY_CODE_PROMPT)),
      })
    : answer;
}

/** The old tokens were just overwritten: end their session instead of orphaning it. */
async function endPrevious(url: string, previous: StoredTokens | null) {
  if (!previous) return;
  const old = createClient(url, memoryTokenStore(previous));
  await old.auth.signOut.mutate().catch(() => undefined);
  await old.close();
}

export function loginCommand(program: Command) {
  program
    .command('login')
    .description(
      'sign in; the session is kept in the config dir for this server (--browser: approve it in ' +
        'a signed-in browser, no password here)',
    )
    .option('--email <email>', 'your email (not with --browser)')
    .option('--password <password>', 'password (else CRYPTWEB_PASSWORD, else prompted)')
    .option('--device-name <name>', 'how this device appears in `cryptweb sessions`')
    .option(
      '--code <code>',
      'the authenticator code or a recovery code, if the account asks (else prompted)',
    )
    .option(
      '--browser',
      'sign in by approving a code in the browser app (device authorization): shows the code, a link and a QR code',
      false,
    )
    .action((opts: LoginOptions, command: Command) =>
      runAction(command, async (cli) => {
        const { client, out, options } = cli;
        if (opts.browser && (opts.email || opts.password || opts.code)) {
          throw new CliError(
            '--browser signs in without --email, --password or --code',
            'the browser you approve in is already signed in; its account is the one you get',
          );
        }
        if (!opts.browser && !opts.email) {
          throw new CliError(
            'an email is needed',
            'pass --email EMAIL, or sign in through the browser with `cryptweb login --browser`',
          );
        }
        const previous = await client().tokenStore.get();
        const deviceName = (opts.deviceName ?? `cryptweb on ${hostname()}`).slice(0, 64);
        const result: SignedIn = opts.email
          ? await signInWithPassword(cli, opts.email, opts, deviceName)
          : await signInThroughBrowser(client(), out, deviceName);
        await endPrevious(options.url, previous);
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
