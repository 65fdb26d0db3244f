import { isMfaRequired, type MfaRequired } from '@cryptweb/client';
import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { SecondFactorField } from '../components/credential-fields.js';
import { Field } from '../components/field.js';
import { Notice, ProblemAlert, SubmitButton } from '../components/messages.js';
import { Page } from '../components/page.js';
import { describeError, fieldError } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { Link, navigate, useLocation } from '../router.js';

export function SignInPage() {
  const auth = useAuth();
  const { route, params } = useLocation();
  const [email, setEmail] = useState(params.get('email') ?? '');
  const [password, setPassword] = useState('');
  const [deviceName, setDeviceName] = useState('');
  /** Set when the password was right and the account asks for a second factor (SPEC §9). */
  const [challenge, setChallenge] = useState<MfaRequired | null>(null);
  const [code, setCode] = useState('');
  const { busy, problem, run } = useAction();
  const wait = useCountdown(problem);

  const finish = async () => {
    await auth.completeSignIn();
    // From /sign-in go home; from a private page's URL, stay: it now shows that page.
    if (route === 'sign-in') navigate('home', {}, { replace: true });
  };

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const name = deviceName.trim();
      const answer = await auth.client.auth.signIn.mutate({
        email,
        password,
        ...(name ? { device: { name } } : {}),
      });
      if (isMfaRequired(answer)) {
        setCode('');
        setChallenge(answer);
        return;
      }
      await finish();
    });
  };

  const onSubmitCode = (event: Event) => {
    event.preventDefault();
    if (!challenge) return;
    void run(async () => {
      const trimmed = code.replace(/\s/g, '');
      try {
        await auth.client.auth.verifyMfa.mutate({
          challengeToken: challenge.challengeToken,
          // Six digits come from the app; anything else is one of the recovery codes.
          ...(/^\d{6}$/.test(trimmed) ? { totp: trimmed } : { recoveryCode: code.trim() }),
        });
      } catch (error) {
        // A dead challenge cannot be finished: back to the password, the message says why.
        if (challengeIsDead(error)) setChallenge(null);
        throw error;
      }
      await finish();
    });
  };

  if (challenge) {
    return (
      <Page title="Two-factor authentication">
        <ProblemAlert problem={problem} />
        <form onSubmit={onSubmitCode} class="stack">
          <SecondFactorField
            value={code}
            onValue={setCode}
            error={fieldError(problem, 'totp') ?? fieldError(problem, 'recoveryCode')}
          />
          <SubmitButton busy={busy} wait={wait} busyLabel="Checking…">
            Verify
          </SubmitButton>
        </form>
        <p>
          <button type="button" onClick={() => setChallenge(null)}>
            Back to sign in
          </button>
        </p>
      </Page>
    );
  }

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

function challengeIsDead(error: unknown): boolean {
  const { reason } = describeError(error);
  return reason === 'MFA_CHALLENGE_INVALID' || reason === 'MFA_CHALLENGE_EXPIRED';
}
