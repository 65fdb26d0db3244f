import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { Notice, ProblemAlert, SubmitButton } from '../components/messages.js';
import { Page } from '../components/page.js';
import { SIGN_IN_REPORT_MESSAGES } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { Link, useLocation } from '../router.js';

/**
 * Opened from the link in a new-sign-in email (APP_URL/app/not-me?token=…), signed in or not.
 * The report goes out only on the button: mail scanners open links to check them, and must not
 * sign anyone out by doing so.
 */
export function NotMePage() {
  const { client } = useAuth();
  const { params } = useLocation();
  const token = params.get('token') ?? '';
  const [done, setDone] = useState(false);
  const { busy, problem, run } = useAction(SIGN_IN_REPORT_MESSAGES);
  const wait = useCountdown(problem);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await client.auth.reportSignIn.mutate({ token });
      setDone(true);
    });
  };

  if (!token) {
    return (
      <Page title="Sign-in not you?">
        <p role="alert">
          This page needs the link from the email about a new sign-in.{' '}
          <Link to="devices">See the devices signed in to your account</Link>.
        </p>
      </Page>
    );
  }
  if (done) {
    return (
      <Page title="That device is signed out">
        <Notice tone="success">
          <p>
            The session of that sign-in has ended on every device, and it is recorded in your
            account’s security log.
          </p>
          <p>
            We emailed you a link to choose a new password. Use it now: whoever signed in knows your
            current password.
          </p>
        </Notice>
      </Page>
    );
  }
  return (
    <Page title="Sign-in not you?">
      <p>
        We emailed you because your CryptWeb account was just signed in to from a new device. If
        that was not you, sign that device out here:
      </p>
      <ul>
        <li>the device is signed out at once, wherever it is;</li>
        <li>the report goes into your account’s security log;</li>
        <li>
          we email you a link to choose a new password, since whoever signed in knows your current
          one.
        </li>
      </ul>
      <p>If it was you, close this page: nothing changes.</p>
      <ProblemAlert problem={problem}>
        {problem?.reason === 'TOKEN_INVALID' && (
          <p>
            <Link to="devices">Check your devices</Link>
          </p>
        )}
      </ProblemAlert>
      <form onSubmit={onSubmit} class="stack">
        <SubmitButton busy={busy} wait={wait} busyLabel="Signing out…">
          Sign that device out
        </SubmitButton>
      </form>
    </Page>
  );
}
