import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { Field } from '../components/field.js';
import { Notice, ProblemAlert, SubmitButton } from '../components/messages.js';
import { Page } from '../components/page.js';
import { fieldError } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { Link, useLocation } from '../router.js';

export function ForgotPasswordPage() {
  const { client } = useAuth();
  const { params } = useLocation();
  const [email, setEmail] = useState(params.get('email') ?? '');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { busy, problem, run } = useAction();
  const wait = useCountdown(problem);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    setSentTo(null);
    void run(async () => {
      await client.auth.forgotPassword.mutate({ email });
      setSentTo(email);
    });
  };

  return (
    <Page title="Reset your password">
      <p>Enter your account’s email and we will send you a link to choose a new password.</p>
      {sentTo && (
        <Notice tone="success">
          If an account exists for <strong>{sentTo}</strong>, a reset link is on its way. It works
          once, for a limited time; a newer link replaces it.
        </Notice>
      )}
      <ProblemAlert problem={problem} />
      <form onSubmit={onSubmit} class="stack">
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onValue={setEmail}
          error={fieldError(problem, 'email')}
        />
        <SubmitButton busy={busy} wait={wait} busyLabel="Sending…">
          Send reset link
        </SubmitButton>
      </form>
      <p>
        Remembered it? <Link to="sign-in">Sign in</Link>
      </p>
    </Page>
  );
}
