import { useId, useState } from 'preact/hooks';
import { fieldError } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import {
  CURRENT_PASSWORD_WRONG,
  CurrentPasswordField,
  SecondFactorField,
} from './credential-fields.js';
import { ProblemAlert, SubmitButton } from './messages.js';

/**
 * A change to two-factor that the server allows only after the password and a second factor
 * (SPEC §9: turning it off, new recovery codes), so a stolen session alone cannot do it.
 */
export function ReauthForm({
  title,
  description,
  submitLabel,
  busyLabel,
  onSubmit,
}: {
  title: string;
  description: string;
  submitLabel: string;
  busyLabel: string;
  onSubmit: (input: { currentPassword: string; code: string }) => Promise<void>;
}) {
  const headingId = useId();
  const [currentPassword, setCurrentPassword] = useState('');
  const [code, setCode] = useState('');
  const { busy, problem, run } = useAction(CURRENT_PASSWORD_WRONG);
  const wait = useCountdown(problem);

  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await onSubmit({ currentPassword, code: code.trim() });
      setCurrentPassword('');
      setCode('');
    });
  };

  return (
    <section class="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      <p>{description}</p>
      <ProblemAlert problem={problem} />
      <form onSubmit={submit} class="stack">
        <CurrentPasswordField
          problem={problem}
          value={currentPassword}
          onValue={setCurrentPassword}
        />
        <SecondFactorField value={code} onValue={setCode} error={fieldError(problem, 'code')} />
        <SubmitButton busy={busy} wait={wait} busyLabel={busyLabel}>
          {submitLabel}
        </SubmitButton>
      </form>
    </section>
  );
}
