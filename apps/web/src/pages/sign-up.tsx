import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { Field } from '../components/field.js';
import { ProblemAlert, SubmitButton } from '../components/messages.js';
import { Page } from '../components/page.js';
import { fieldError } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { Link, navigate } from '../router.js';

export function SignUpPage() {
  const { client } = useAuth();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const { busy, problem, run } = useAction();
  const wait = useCountdown(problem);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const { user } = await client.auth.signUp.mutate({ name, email, password });
      navigate('verify', { email: user.email, sent: '1' });
    });
  };

  return (
    <Page title="Create an account">
      <ProblemAlert problem={problem}>
        {problem?.reason === 'EMAIL_TAKEN' && (
          <p>
            <Link to="sign-in" params={{ email }}>
              Sign in
            </Link>{' '}
            or{' '}
            <Link to="forgot-password" params={{ email }}>
              reset your password
            </Link>
            .
          </p>
        )}
      </ProblemAlert>
      <form onSubmit={onSubmit} class="stack">
        <Field
          label="Name"
          hint="How people you send files to will see you (up to 30 characters)."
          autoComplete="name"
          required
          maxLength={30}
          value={name}
          onValue={setName}
          error={fieldError(problem, 'name')}
        />
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onValue={setEmail}
          error={fieldError(problem, 'email')}
        />
        <Field
          label="Password"
          hint="8 to 128 characters. Common passwords are refused."
          type={showPassword ? 'text' : 'password'}
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
        <label class="check">
          <input
            type="checkbox"
            checked={showPassword}
            onChange={(event) => setShowPassword(event.currentTarget.checked)}
          />
          Show password
        </label>
        <SubmitButton busy={busy} wait={wait} busyLabel="Creating your account…">
          Create account
        </SubmitButton>
      </form>
      <p>
        Already have an account? <Link to="sign-in">Sign in</Link>
      </p>
    </Page>
  );
}
