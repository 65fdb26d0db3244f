import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { Field } from '../components/field.js';
import { Notice, ProblemAlert, SubmitButton } from '../components/messages.js';
import { Page } from '../components/page.js';
import { fieldError } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { Link, navigate, useLocation } from '../router.js';

export function VerifyPage() {
  const { client } = useAuth();
  const { params } = useLocation();
  const [email, setEmail] = useState(params.get('email') ?? '');
  const [code, setCode] = useState('');
  const [resent, setResent] = useState(false);
  const verify = useAction();
  const resend = useAction();
  const verifyWait = useCountdown(verify.problem);
  const resendWait = useCountdown(resend.problem);
  // A dead code (expired, too many tries) makes asking for a new one the next step.
  const codeIsDead =
    verify.problem?.reason === 'CODE_EXPIRED' ||
    verify.problem?.reason === 'CODE_ATTEMPTS_EXCEEDED';

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void verify.run(async () => {
      await client.auth.verifyEmail.mutate({ email, code: code.trim() });
      navigate('sign-in', { email, verified: '1' });
    });
  };

  const onResend = () => {
    setResent(false);
    verify.setProblem(null);
    void resend.run(async () => {
      await client.auth.resendVerification.mutate({ email });
      setCode('');
      setResent(true);
    });
  };

  return (
    <Page title="Verify your email">
      {params.get('sent') === '1' && !resent && (
        <Notice>
          We sent a 6-digit code to <strong>{email}</strong>. It works for a few minutes.
        </Notice>
      )}
      {resent && (
        <Notice tone="success">
          A new code is on its way to <strong>{email}</strong>. Earlier codes no longer work.
        </Notice>
      )}
      <ProblemAlert problem={verify.problem} />
      <ProblemAlert problem={resend.problem} />
      <form onSubmit={onSubmit} class="stack">
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onValue={setEmail}
          error={fieldError(verify.problem, 'email') ?? fieldError(resend.problem, 'email')}
        />
        <Field
          label="Code"
          hint="The 6 digits from the email."
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          maxLength={6}
          required
          value={code}
          onValue={setCode}
          error={fieldError(verify.problem, 'code')}
        />
        <div class="actions">
          <SubmitButton busy={verify.busy} wait={verifyWait} busyLabel="Checking…">
            Verify email
          </SubmitButton>
          <button
            type="button"
            class={codeIsDead ? 'primary' : ''}
            onClick={onResend}
            disabled={resend.busy || resendWait > 0 || !email}
          >
            {resendWait > 0 ? `New code in ${resendWait} s` : 'Send a new code'}
          </button>
        </div>
      </form>
      <p>
        Already verified? <Link to="sign-in">Sign in</Link>
      </p>
    </Page>
  );
}
