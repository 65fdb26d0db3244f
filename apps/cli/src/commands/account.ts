import { chmod, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type Cli, runAction } from '../lib/context.js';
import { CliError } from '../lib/errors.js';
import { toJson } from '../lib/output.js';
import { PASSWORD_OPTION, promptLine, readAccountPassword } from '../lib/password.js';

/** Finishes an email change with the mailed code (the second run of a script, or the prompt). */
async function confirmEmail({ client, out }: Cli, code: string) {
  const { user } = await client().account.confirmEmailChange.mutate({ code });
  out.result(
    { user },
    () =>
      `${out.paint.green('✔')} your email is now ${out.paint.bold(user.email)}; the old address was told`,
  );
}

async function changeEmail(cli: Cli, newEmail: string, opts: { password?: string }) {
  const { client, out } = cli;
  const currentPassword = await readAccountPassword(opts.password);
  await client().account.changeEmail.mutate({ newEmail, currentPassword });
  const again = `cryptweb account email ${newEmail} --code CODE`;
  // A script cannot read the mail in the middle of a run: it finishes with a second one (--code).
  if (!process.stdin.isTTY) {
    out.result(
      { ok: true, confirmed: false, newEmail },
      () =>
        `${out.paint.green('✔')} a code is on its way to ${newEmail}\n  then run: ${out.paint.cyan(again)}`,
    );
    return;
  }
  out.show(`A code is on its way to ${newEmail}.`);
  const code = await promptLine(
    `Code from the mail to ${newEmail}: `,
    new CliError('a code is needed', `run \`${again}\``),
  );
  await confirmEmail(cli, code);
}

/** Writes the export for its owner only: it holds their sessions, addresses and devices. */
async function writePrivate(path: string, text: string) {
  await writeFile(path, text, { mode: 0o600 });
  // `mode` applies only to a new file; an existing one keeps its mode unless told.
  await chmod(path, 0o600);
}

export function accountCommand(program: Command) {
  const account = program
    .command('account')
    .description('your account: name, email address, data export, deletion');

  account
    .command('profile')
    .description('change the name people see')
    .requiredOption('--name <name>', 'your new name')
    .action((opts: { name: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const { user } = await client().account.updateProfile.mutate({ name: opts.name });
        out.result(
          { user },
          () => `${out.paint.green('✔')} your name is now ${out.paint.bold(user.name)}`,
        );
      }),
    );

  account
    .command('email')
    .description(
      'move the account to a new address: asks your password, mails a code there, then asks it ' +
        '(without a terminal, finish with a second run and --code)',
    )
    .argument('<new-email>', 'the new address')
    .option(...PASSWORD_OPTION)
    .option('--code <code>', 'the code mailed to the new address: finishes a change already asked')
    .action((newEmail: string, opts: { password?: string; code?: string }, command: Command) =>
      runAction(command, async (cli) => {
        if (opts.code !== undefined) return confirmEmail(cli, opts.code);
        await changeEmail(cli, newEmail, opts);
      }),
    );

  account
    .command('export')
    .description('your profile, sessions, transfers and security log as JSON')
    .option('--out <file>', 'write it to this file (readable by you only) instead of stdout')
    .action((opts: { out?: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const data = await client().account.export.query();
        // The export is JSON either way: --json changes nothing but the note below.
        if (!opts.out) {
          process.stdout.write(toJson(data));
          return;
        }
        const path = resolve(opts.out);
        await writePrivate(path, toJson(data));
        out.result(
          {
            file: path,
            sessions: data.sessions.length,
            transfers: data.transfers.length,
            securityEvents: data.securityEvents.length,
          },
          () =>
            `${out.paint.green('✔')} wrote ${path} ${out.paint.dim(
              `(${data.sessions.length} sessions, ${data.transfers.length} transfers, ${data.securityEvents.length} security events)`,
            )}`,
        );
      }),
    );

  account
    .command('delete')
    .description(
      'delete your account and its personal data; every session ends (asks your password and ' +
        'that you type DELETE)',
    )
    .option(...PASSWORD_OPTION)
    .option('--yes-delete', 'for scripts: delete without asking to type DELETE', false)
    .action((opts: { password?: string; yesDelete: boolean }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const api = client();
        if (!(await api.tokenStore.get())) {
          throw new CliError('not signed in', 'sign in with `cryptweb login`');
        }
        const { user } = await api.auth.me.query();
        if (!opts.yesDelete) {
          out.show(
            `This deletes ${user.name} <${user.email}>, its sessions and personal data, for good.`,
          );
          const typed = await promptLine(
            'Type DELETE to go on: ',
            new CliError(
              'deleting an account needs you to type DELETE',
              'run it in a terminal, or pass --yes-delete (and the password through CRYPTWEB_PASSWORD)',
            ),
          );
          if (typed !== 'DELETE') throw new CliError('not deleted: DELETE was not typed');
        }
        const currentPassword = await readAccountPassword(opts.password);
        const result = await api.account.delete.mutate({ currentPassword, confirm: 'DELETE' });
        // Every session ended on the server, this one too: the tokens here are dead weight.
        await api.tokenStore.set(null);
        out.result(
          { ...result, email: user.email },
          () => `${out.paint.green('✔')} deleted ${user.email}; you are signed out`,
        );
      }),
    );
}
