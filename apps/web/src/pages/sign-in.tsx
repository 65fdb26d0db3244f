import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { Field } from '../components/field.js';
import { Notice, ProblemAlert, SubmitButton } from '../components/messages.js';
import { Page } from '../components/page.js';
import { fieldError } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { Link, navigate, useLocation } from '../router.js';

export function SignInPage() {
  const auth = useAuth();
  const { route, params } = useLocation();
  const [email, setEmail] = useState(params.get('email') ?? '');
  const [password, setPassword] = useState('');
  const [deviceName, setDeviceName] = useState('');
  const { busy, problem, run } = useAction();
  const wait = useCountdown(problem);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const name = deviceName.trim();
      await auth.client.auth.signIn.mutate({
        email,
        password,
        ...(name ? { device: { name } } : {}),
      });
      await auth.completeSignIn();
      // From /sign-in go home; from a private page's URL, stay: it now shows that page.
      if (route === 'sign-in') navigate('home', {}, { replace: true });
    });
  };

  return (
    <Page title="Sign in">
      {auth.notice &&
        (auth.notice.urgent ? (
          <div class="alert alert-warning" role="alert">
            <p>{auth.notice.message}</p>
          </div>
        ) : (
          <Notice>{auth.notice.message}</Notice>
        ))}
      {params.get('verified') === '1' && (
        <Notice tone="success">Your email is verified. Sign in to start sending files.</Notice>
      )}
      <ProblemAlert problem={problem}>
        {problem?.reason === 'EMAIL_NOT_VERIFIED' && (
          <p>
            <Link to="verify" params={{ email }}>
              Enter your code
            </Link>
          </p>
        )}
        {problem?.reason === 'INVALID_CREDENTIALS' && (
          <p>
            <Link to="forgot-password" params={{ email }}>
              Forgot your password?
            </Link>
          </p>
        )}
      </ProblemAlert>
      <form onSubmit={onSubmit} class="stack">
        <Field
          label="Email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onValue={setEmail}
          error={fieldError(problem, 'email')}
        />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onValue={setPassword}
          error={fieldError(problem, 'password')}
        />
        <Field
          label="Device name (optional)"
          hint="Helps you recognise this device in your device list, e.g. “Work laptop”."
          maxLength={64}
          value={deviceName}
          onValue={setDeviceName}
          error={fieldError(problem, 'device.name')}
        />
        <SubmitButton busy={busy} wait={wait} busyLabel="Signing in…">
          Sign in
        </SubmitButton>
      </form>
      <p>
        <Link to="forgot-password" params={email ? { email } : {}}>
          Forgot your password?
        </Link>
      </p>
      <p>
        New here? <Link to="sign-up">Create an account</Link>
      </p>
    </Page>
  );
}
