import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { fieldError, formProblem } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { CURRENT_PASSWORD_WRONG, CurrentPasswordField } from './credential-fields.js';
import { Field } from './field.js';
import { ProblemAlert } from './messages.js';

/** Hands a JSON document to the browser as a download, from memory (nothing is sent anywhere). */
function downloadJson(data: unknown, fileName: string) {
  const blob = new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  // The click starts the download synchronously; the URL is released once it has been read.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** "Download my data" (SPEC §10): profile, sessions, transfers and security log as one JSON file. */
export function DataExport() {
  const { client } = useAuth();
  const { busy, problem, run } = useAction();
  const download = () =>
    void run(async () => {
      const data = await client.account.export.query();
      downloadJson(data, `cryptweb-data-${data.exportedAt.toISOString().slice(0, 10)}.json`);
    });
  return (
    <section class="panel" aria-labelledby="export-heading">
      <h2 id="export-heading">Your data</h2>
      <p>
        Everything CryptWeb keeps about you — profile, signed-in devices, transfer history and
        security log — as a JSON file. Files themselves never pass through the server.
      </p>
      <ProblemAlert problem={problem} />
      <button type="button" onClick={download} disabled={busy} aria-busy={busy}>
        {busy ? 'Preparing…' : 'Download my data'}
      </button>
    </section>
  );
}

/**
 * Deletes the account (SPEC §10): the password, and the word DELETE typed out, so neither a
 * borrowed unlocked browser nor a stray click can do it. Every session ends, this one too.
 */
export function DeleteAccount() {
  const { client, endSession } = useAuth();
  const [currentPassword, setCurrentPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const { busy, problem, setProblem, run } = useAction(CURRENT_PASSWORD_WRONG);
  const wait = useCountdown(problem);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    // The server insists on the word too; checked here first so the form can say which field.
    if (confirm.trim() !== 'DELETE') {
      setProblem(
        formProblem('Type the word DELETE, in capitals, to confirm.', 'INVALID_INPUT', {
          confirm: ['must be the word DELETE'],
        }),
      );
      return;
    }
    void run(async () => {
      await client.account.delete.mutate({ currentPassword, confirm: 'DELETE' });
      await endSession({
        message: 'Your account is deleted, and you are signed out. Thank you for using CryptWeb.',
        urgent: false,
      });
    });
  };

  return (
    <section class="panel" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete account</h2>
      <p>
        Deletes your account and your personal data, and signs you out on every device. People you
        exchanged files with keep their history, showing “Deleted user”. This cannot be undone.
      </p>
      <ProblemAlert problem={problem} />
      <form onSubmit={onSubmit} class="stack">
        <CurrentPasswordField
          problem={problem}
          value={currentPassword}
          onValue={setCurrentPassword}
        />
        <Field
          label="Type DELETE to confirm"
          autoComplete="off"
          required
          pattern="DELETE"
          value={confirm}
          onValue={setConfirm}
          error={fieldError(problem, 'confirm')}
        />
        <button type="submit" class="danger" disabled={busy || wait > 0} aria-busy={busy}>
          {busy ? 'Deleting…' : wait > 0 ? `Wait ${wait} s` : 'Delete my account'}
        </button>
      </form>
    </section>
  );
}
