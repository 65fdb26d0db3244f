import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { fieldError, formProblem } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { CURRENT_PASSWORD_WRONG, CurrentPasswordField } from './credential-fields.js';
import { Field } from './field.js';
import { Notice, ProblemAlert, SubmitButton } from './messages.js';

/** Changes the password; the server then signs out every other device (SPEC §6). */
export function PasswordChange() {
  const { client } = useAuth();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [changed, setChanged] = useState(false);
  const { busy, problem, setProblem, run } = useAction(CURRENT_PASSWORD_WRONG);
  const wait = useCountdown(problem);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    setChanged(false);
    if (newPassword !== repeat) {
      setProblem(formProblem('The two new passwords do not match.', 'PASSWORDS_DIFFER'));
      return;
    }
    void run(async () => {
      await client.auth.changePassword.mutate({ currentPassword, newPassword });
      setCurrentPassword('');
      setNewPassword('');
      setRepeat('');
      setChanged(true);
    });
  };

  return (
    <section class="panel" aria-labelledby="password-heading">
      <h2 id="password-heading">Change password</h2>
      {changed && (
        <Notice tone="success">
          Password changed. Your other devices were signed out; this one stays signed in.
        </Notice>
      )}
      <ProblemAlert problem={problem} />
      <form onSubmit={onSubmit} class="stack">
        <CurrentPasswordField
          problem={problem}
          value={currentPassword}
          onValue={setCurrentPassword}
        />
        <Field
          label="New password"
          hint="8 to 128 characters. Common passwords are refused."
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          maxLength={128}
          value={newPassword}
          onValue={setNewPassword}
          error={
            fieldError(problem, 'newPassword') ??
            (problem?.reason === 'WEAK_PASSWORD' ? 'is too common' : undefined)
          }
        />
        <Field
          label="Repeat the new password"
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          onValue={setRepeat}
          error={problem?.reason === 'PASSWORDS_DIFFER' ? 'does not match' : undefined}
        />
        <SubmitButton busy={busy} wait={wait} busyLabel="Changing…">
          Change password
        </SubmitButton>
      </form>
    </section>
  );
}
