import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { fieldError, type Reason } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { CURRENT_PASSWORD_WRONG, CurrentPasswordField } from './credential-fields.js';
import { Field } from './field.js';
import { Notice, ProblemAlert, SubmitButton } from './messages.js';

/** The change-email reasons worded for this form: a new code means starting over here. */
const EMAIL_CHANGE_MESSAGES: Partial<Record<Reason, string>> = {
  ...CURRENT_PASSWORD_WRONG,
  EMAIL_TAKEN: 'Another account already uses this email address. Choose a different one.',
  CODE_INVALID: 'That code is not right. Check the latest email sent to your new address.',
  CODE_EXPIRED: 'That code has expired. Start over to get a new one.',
  CODE_ATTEMPTS_EXCEEDED:
    'Too many wrong codes, so this code no longer works. Start over to get a new one.',
};

/** Reasons after which the code in hand can never work: only a new request helps. */
const CODE_SPENT = new Set<Reason | undefined>(['CODE_EXPIRED', 'CODE_ATTEMPTS_EXCEEDED']);

/**
 * Moves the account to a new address (SPEC §10) in two steps: the current password sends a code
 * to the new address, and that code proves the address is yours. Until then the old address
 * stays the account's; afterwards the old one is told.
 */
export function EmailChange() {
  const { client, me, verifySession } = useAuth();
  const [newEmail, setNewEmail] = useState('');
  const [currentPassword, setCurrentPassword] = useState('');
  const [code, setCode] = useState('');
  // The address a code was sent to: the second step is on while it is set.
  const [pending, setPending] = useState<string | null>(null);
  const [changed, setChanged] = useState<string | null>(null);
  const { busy, problem, setProblem, run } = useAction(EMAIL_CHANGE_MESSAGES);
  const wait = useCountdown(problem);

  const request = (event: Event) => {
    event.preventDefault();
    setChanged(null);
    void run(async () => {
      await client.account.changeEmail.mutate({ newEmail, currentPassword });
      setCurrentPassword('');
      setPending(newEmail.trim());
    });
  };

  const confirm = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const { user } = await client.account.confirmEmailChange.mutate({ code: code.trim() });
      setPending(null);
      setNewEmail('');
      setCode('');
      setChanged(user.email);
      await verifySession();
    });
  };

  const startOver = () => {
    setPending(null);
    setCode('');
    setProblem(null);
  };

  return (
    <section class="panel" aria-labelledby="email-heading">
      <h2 id="email-heading">Change email</h2>
      {changed && (
        <Notice tone="success">
          Your email is now {changed}. Sign in with it from now on; we told your previous address.
        </Notice>
      )}
      <ProblemAlert problem={problem}>
        {pending && CODE_SPENT.has(problem?.reason) && (
          <button type="button" onClick={startOver}>
            Start over
          </button>
        )}
      </ProblemAlert>
      {/* Keyed: Preact would otherwise reuse the code's input for the email, and a `pattern`
          it drops is left behind as pattern="", which no address matches. */}
      {pending ? (
        <form key="confirm" onSubmit={confirm} class="stack">
          <p>
            We emailed a 6-digit code to <strong>{pending}</strong>. Enter it to make that your
            address. Your account keeps {me?.user.email ?? 'its address'} until then.
          </p>
          <Field
            label="Code from the email"
            autoComplete="one-time-code"
            inputMode="numeric"
            required
            maxLength={6}
            pattern="[0-9]{6}"
            value={code}
            onValue={setCode}
            error={fieldError(problem, 'code')}
          />
          <div class="actions">
            <SubmitButton busy={busy} wait={wait} busyLabel="Confirming…">
              Confirm new email
            </SubmitButton>
            <button type="button" disabled={busy} onClick={startOver}>
              Use another address
            </button>
          </div>
        </form>
      ) : (
        <form key="request" onSubmit={request} class="stack">
          <Field
            label="New email"
            type="email"
            autoComplete="email"
            required
            maxLength={254}
            value={newEmail}
            onValue={setNewEmail}
            error={
              fieldError(problem, 'newEmail') ??
              (problem?.reason === 'EMAIL_TAKEN' ? 'is taken by another account' : undefined)
            }
          />
          <CurrentPasswordField
            problem={problem}
            value={currentPassword}
            onValue={setCurrentPassword}
          />
          <SubmitButton busy={busy} wait={wait} busyLabel="Sending code…">
            Send code
          </SubmitButton>
        </form>
      )}
    </section>
  );
}
