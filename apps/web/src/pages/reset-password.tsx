import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { Field } from '../components/field.js';
import { Notice, ProblemAlert, SubmitButton } from '../components/messages.js';
import { Page } from '../components/page.js';
import { fieldError } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { Link, useLocation } from '../router.js';

const TOKEN_REASONS = new Set(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_USED']);

/** Opened from the emailed link (APP_URL/reset-password?token=…, redirected here). */
export function ResetPasswordPage() {
  const auth = useAuth();
  const { params } = useLocation();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [confirmPassword, setConfirmPassword] = useState('');
  const [done, setDone] = useState(false);
  const { busy, problem, run } = useAction();
  const wait = useCountdown(problem);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await auth.client.auth.resetPassword.mutate({ token, password, confirmPassword });
      // The reset signed out every device, this one included.
      if (auth.status === 'signed-in') await auth.endSession(null);
      setDone(true);
    });
  };

  if (!token) {
    return (
      <Page title="Choose a new password">
        <p role="alert">
          This page needs the link from your reset email.{' '}
          <Link to="forgot-password">Ask for a reset link</Link>.
        </p>
      </Page>
    );
  }
  if (done) {
    return (
      <Page title="Password changed">
        <Notice tone="success">
          Your password was reset and every device was signed out.{' '}
          <Link to="sign-in">Sign in with your new password</Link>.
        </Notice>
      </Page>
    );
  }
  return (
    <Page title="Choose a new password">
      <ProblemAlert problem={problem}>
        {problem?.reason && TOKEN_REASONS.has(problem.reason) && (
          <p>
            <Link to="forgot-password">Ask for a new reset link</Link>
          </p>
        )}
      </ProblemAlert>
      <form onSubmit={onSubmit} class="stack">
        <Field
          label="New password"
          hint="8 to 128 characters. Common passwords are refused."
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          maxLength={128}
          value={password}
          onValue={setPassword}
          error={
            fieldError(problem, 'password') ??
            (problem?.reason === 'WEAK_PASSWORD' ? 'is too common' : undefined)
          }
        />
        <Field
          label="Repeat the new password"
          type="password"
          autoComplete="new-password"
          required
          value={confirmPassword}
          onValue={setConfirmPassword}
          error={
            fieldError(problem, 'confirmPassword') ??
            (problem?.reason === 'PASSWORDS_DIFFER' ? 'does not match' : undefined)
          }
        />
        <SubmitButton busy={busy} wait={wait} busyLabel="Saving…">
          Set new password
        </SubmitButton>
      </form>
    </Page>
  );
}
