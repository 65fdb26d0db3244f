import {
  isMfaRequired,
  type MfaRequired,
  signInWithPasskey,
  verifyMfaWithPasskey,
} from '@cryptweb/client';
import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { SecondFactorField } from '../components/credential-fields.js';
import { Field } from '../components/field.js';
import { Notice, ProblemAlert, SubmitButton } from '../components/messages.js';
import { Page } from '../components/page.js';
import { PasskeyButton } from '../components/passkey-button.js';
import { describeError, fieldError } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { passkeyCancelled } from '../passkeys.js';
import { Link, navigate, useLocation } from '../router.js';

const NO_PASSKEY_USED =
  'No passkey was used: the dialog was closed or timed out. Try again when you are ready.';

export function SignInPage() {
  const auth = useAuth();
  const { route, params } = useLocation();
  const [email, setEmail] = useState(params.get('email') ?? '');
  const [password, setPassword] = useState('');
  const [deviceName, setDeviceName] = useState('');
  /** Set when the password was right and the account asks for a second factor (SPEC §9). */
  const [challenge, setChallenge] = useState<MfaRequired | null>(null);
  const [code, setCode] = useState('');
  /** A calm word after the person closed the passkey dialog: nothing failed. */
  const [cancelled, setCancelled] = useState(false);
  const { busy, problem, run } = useAction();
  const wait = useCountdown(problem);

  const finish = async () => {
    await auth.completeSignIn();
    // From /sign-in go home; from a private page's URL, stay: it now shows that page.
    if (route === 'sign-in') navigate('home', {}, { replace: true });
  };

  const device = () => {
    const name = deviceName.trim();
    return name ? { device: { name } } : {};
  };

  /** Finishes the second step; a dead challenge cannot be, so back to the password (the message says why). */
  const secondStep = async (verify: () => Promise<unknown>) => {
    try {
      await verify();
    } catch (error) {
      if (challengeIsDead(error)) setChallenge(null);
      throw error;
    }
  };

  /** Runs a passkey ceremony; a closed dialog leaves a notice instead of an error. */
  const withPasskey = (ceremony: () => Promise<void>) => {
    setCancelled(false);
    void run(async () => {
      try {
        await ceremony();
      } catch (error) {
        if (passkeyCancelled(error)) {
          setCancelled(true);
          return;
        }
        throw error;
      }
      await finish();
    });
  };

  // No email asked: the authenticator offers the passkeys it holds for this site (SPEC §9).
  const onPasskey = () =>
    withPasskey(async () => {
      await signInWithPasskey(auth.client, device());
    });

  const onSecondStepPasskey = () => {
    if (!challenge) return;
    const { challengeToken } = challenge;
    withPasskey(() => secondStep(() => verifyMfaWithPasskey(auth.client, challengeToken)));
  };

  const onSubmit = (event: Event) => {
    event.preventDefault();
    setCancelled(false);
    void run(async () => {
      const answer = await auth.client.auth.signIn.mutate({ email, password, ...device() });
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
    setCancelled(false);
    void run(async () => {
      const trimmed = code.replace(/\s/g, '');
      await secondStep(() =>
        auth.client.auth.verifyMfa.mutate({
          challengeToken: challenge.challengeToken,
          // Six digits come from the app; anything else is one of the recovery codes.
          ...(/^\d{6}$/.test(trimmed) ? { totp: trimmed } : { recoveryCode: code.trim() }),
        }),
      );
      await finish();
    });
  };

  if (challenge) {
    // Recovery codes exist only beside the authenticator app, so 'totp' says whether codes are taken.
    const takesCode = challenge.methods.includes('totp');
    const takesPasskey = challenge.methods.includes('passkey');
    return (
      <Page title="Two-factor authentication">
        {cancelled && <Notice>{NO_PASSKEY_USED}</Notice>}
        <ProblemAlert problem={problem} />
        {takesCode && (
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
        )}
        {takesPasskey && (
          <>
            <p class={takesCode ? 'muted' : undefined}>
              {takesCode
                ? 'Or confirm with one of your passkeys:'
                : 'Your password was right. Now confirm with one of your passkeys.'}
            </p>
            <PasskeyButton busy={busy || wait > 0} onClick={onSecondStepPasskey}>
              Use a passkey
            </PasskeyButton>
          </>
        )}
        <p>
          <button
            type="button"
            onClick={() => {
              setCancelled(false);
              setChallenge(null);
            }}
          >
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
      {cancelled && <Notice>{NO_PASSKEY_USED}</Notice>}
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
      <PasskeyButton busy={busy || wait > 0} onClick={onPasskey}>
        Sign in with a passkey
      </PasskeyButton>
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
