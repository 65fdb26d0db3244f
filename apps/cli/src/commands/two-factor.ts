import type { RouterOutputs } from '@cryptweb/client';
import type { Command } from 'commander';
import QRCode from 'qrcode';
import type { Painter } from '../lib/colors.js';
import { type Cli, runAction } from '../lib/context.js';
import { describeError } from '../lib/errors.js';
import { PASSWORD_OPTION, readAccountPassword } from '../lib/password.js';
import { ANY_CODE_PROMPT, readCode } from '../lib/second-factor.js';

type Enrolment = RouterOutputs['mfa']['totp']['enroll'];
type Status = RouterOutputs['mfa']['status'];

interface ReauthOptions {
  password?: string;
  code?: string;
}

/** Below this many unused recovery codes, `status` suggests a new set. */
const FEW_RECOVERY_CODES = 3;

/** The server re-checks both the password and a second factor before it changes either. */
function withReauthOptions(command: Command): Command {
  return command
    .option(...PASSWORD_OPTION)
    .option(
      '--code <code>',
      'a code from your authenticator app or a recovery code (else prompted)',
    );
}

/** Password, then a TOTP or recovery code: what `disable` and `recovery-codes` ask for. */
async function readReauth(opts: ReauthOptions, missing: string) {
  const currentPassword = await readAccountPassword(opts.password);
  const code = await readCode(opts.code, ANY_CODE_PROMPT, missing);
  return { currentPassword, code };
}

/** The QR code to scan, and the same key as text for apps (or people) that cannot scan. */
async function enrolmentText(enrolment: Enrolment, paint: Painter): Promise<string> {
  const qr = await QRCode.toString(enrolment.otpauthUri, { type: 'terminal', small: true });
  return [
    'Add CryptWeb to your authenticator app: scan this QR code, or type the secret.',
    '',
    qr.trimEnd(),
    '',
    `${paint.dim('secret')}  ${paint.bold(enrolment.secret)}`,
    `${paint.dim('uri')}     ${enrolment.otpauthUri}`,
  ].join('\n');
}

/** Recovery codes are shown once (SPEC §9): the text says so plainly. */
function recoveryCodesText(headline: string, codes: string[], paint: Painter): string {
  return [
    headline,
    'Recovery codes: each one works once, in place of a code, when your app is not at hand.',
    '',
    ...codes.map((code) => `  ${paint.bold(code)}`),
    '',
    paint.yellow('Store these now, somewhere safe: they are not shown again.'),
  ].join('\n');
}

function statusText(status: Status, paint: Painter): string {
  const lines = [
    `${paint.dim('two-factor')}           ${
      status.totp ? paint.green('on (authenticator app)') : paint.yellow('off')
    }`,
    `${paint.dim('passkeys')}             ${status.passkeys}`,
    `${paint.dim('recovery codes left')}  ${status.recoveryCodesLeft}`,
  ];
  if (!status.totp) {
    lines.push('', paint.dim('turn it on with `cryptweb 2fa enable`'));
  } else if (status.recoveryCodesLeft < FEW_RECOVERY_CODES) {
    lines.push(
      '',
      paint.yellow('few recovery codes left: `cryptweb 2fa recovery-codes` makes a new set'),
    );
  }
  return lines.join('\n');
}

/** Confirms the pending enrolment with its first code and prints the recovery codes. */
async function confirmEnrolment({ client, out }: Cli, code: string) {
  let recoveryCodes: string[];
  try {
    ({ recoveryCodes } = await client().mfa.totp.confirm.mutate({ code }));
  } catch (error) {
    if (describeError(error, '').reason === 'MFA_CODE_INVALID') {
      out.note('two-factor is not on yet: `cryptweb 2fa enable --code CODE` tries another code');
    }
    throw error;
  }
  out.result({ enabled: true, recoveryCodes }, () =>
    recoveryCodesText(
      `${out.paint.green('✔')} two-factor sign-in is on: \`cryptweb login\` now asks for a code`,
      recoveryCodes,
      out.paint,
    ),
  );
}

export function twoFactorCommand(program: Command) {
  const twoFactor = program
    .command('2fa')
    .description('two-factor sign-in with an authenticator app (TOTP) and recovery codes');

  twoFactor
    .command('status', { isDefault: true })
    .description('whether two-factor is on, passkeys, and recovery codes left')
    .action((_opts: unknown, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const status = await client().mfa.status.query();
        out.result(status, () => statusText(status, out.paint));
      }),
    );

  twoFactor
    .command('enable')
    .description(
      'turn two-factor on: shows a QR code for your authenticator app, asks its first code, ' +
        'then prints your recovery codes once',
    )
    .option(...PASSWORD_OPTION)
    .option(
      '--code <code>',
      'the first code from the app: finishes the enrolment a run without --code started ' +
        '(without a terminal, that run only shows the QR code and the secret)',
    )
    .action((opts: ReauthOptions, command: Command) =>
      runAction(command, async (cli) => {
        const { client, out } = cli;
        if (opts.code !== undefined) return confirmEnrolment(cli, opts.code);
        const currentPassword = await readAccountPassword(opts.password);
        const enrolment = await client().mfa.totp.enroll.mutate({ currentPassword });
        const text = await enrolmentText(enrolment, out.paint);
        // A script cannot type the code of a secret it has only just been shown: it reads the
        // secret from this run and confirms with a second one (`--code`), as the note says.
        if (!process.stdin.isTTY) {
          out.result({ enabled: false, ...enrolment }, () =>
            [
              text,
              '',
              out.paint.yellow('two-factor is not on yet:'),
              'add the secret to your app, then run `cryptweb 2fa enable --code CODE` with its current code',
            ].join('\n'),
          );
          return;
        }
        out.show(`${text}\n`);
        await confirmEnrolment(
          cli,
          await readCode(undefined, 'Code from your authenticator app: '),
        );
      }),
    );

  withReauthOptions(twoFactor.command('disable'))
    .description('turn two-factor off (your password and a code); the recovery codes die with it')
    .action((opts: ReauthOptions, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const input = await readReauth(opts, 'a code is needed to turn two-factor off');
        const result = await client().mfa.totp.disable.mutate(input);
        out.result(
          result,
          () =>
            `${out.paint.green('✔')} two-factor sign-in is off; its recovery codes no longer work`,
        );
      }),
    );

  withReauthOptions(twoFactor.command('recovery-codes'))
    .description('make a new set of 10 recovery codes (your password and a code); the old set dies')
    .action((opts: ReauthOptions, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const input = await readReauth(opts, 'a code is needed to make new recovery codes');
        const { recoveryCodes } = await client().mfa.recoveryCodes.regenerate.mutate(input);
        out.result({ recoveryCodes }, () =>
          recoveryCodesText(
            `${out.paint.green('✔')} a new set of recovery codes; the old ones no longer work`,
            recoveryCodes,
            out.paint,
          ),
        );
      }),
    );
}
