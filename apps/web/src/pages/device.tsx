import { useState } from 'preact/hooks';
import type { DeviceRequest } from '../api.js';
import { useAuth } from '../auth.js';
import { Field } from '../components/field.js';
import { Notice, ProblemAlert, SubmitButton } from '../components/messages.js';
import { Page } from '../components/page.js';
import { DEVICE_CODE_MESSAGES, fieldError } from '../errors.js';
import { formatExact, formatRelative } from '../format.js';
import { useAction, useCountdown } from '../hooks.js';
import { Link, useLocation } from '../router.js';
import { browserOn } from '../security-events.js';

type Decision = 'approved' | 'denied';

/**
 * Device authorization (SPEC §11, RFC 8628): an app that cannot show a sign-in form (the CLI)
 * prints a code; here the signed-in person looks it up and approves or denies it. The code may
 * come prefilled from the app's link (`?code=`), but nothing is decided until a button is pressed:
 * a link anyone can send must never sign its sender in as the person who opens it.
 */
export function DevicePage() {
  const { client, me } = useAuth();
  const { params } = useLocation();
  const [code, setCode] = useState(params.get('code') ?? '');
  const [request, setRequest] = useState<DeviceRequest | null>(null);
  const [decision, setDecision] = useState<Decision | null>(null);
  const { busy, problem, run } = useAction(DEVICE_CODE_MESSAGES);
  const wait = useCountdown(problem);
  const userCode = code.trim();
  // The code as the app printed it (XXXX-XXXX), however it was typed.
  const letters = userCode.toUpperCase().replace(/[^A-Z]/g, '');
  const shownCode = letters.length === 8 ? `${letters.slice(0, 4)}-${letters.slice(4)}` : userCode;

  const lookUp = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      setRequest(await client.auth.device.lookup.mutate({ userCode }));
    });
  };

  const decide = (choice: Decision) => {
    void run(async () => {
      if (choice === 'approved') await client.auth.device.approve.mutate({ userCode });
      else await client.auth.device.deny.mutate({ userCode });
      setDecision(choice);
    });
  };

  const startOver = () => {
    setCode('');
    setRequest(null);
    setDecision(null);
  };

  if (request && decision) {
    return (
      <Page title={decision === 'approved' ? 'Sign-in approved' : 'Sign-in denied'}>
        <Notice tone="success">
          {decision === 'approved' ? (
            <p>
              {request.clientName} is now signed in as {me?.user.email ?? 'you'}. Go back to it: it
              continues on its own. It appears among <Link to="devices">your devices</Link>, where
              you can sign it out at any time.
            </p>
          ) : (
            <p>
              {request.clientName} was not signed in, and this code no longer works. If you did not
              start this sign-in, someone may be trying to get into your account: nothing more is
              needed.
            </p>
          )}
        </Notice>
        <button type="button" onClick={startOver}>
          Enter another code
        </button>
      </Page>
    );
  }

  if (request) {
    const where = browserOn(request);
    return (
      <Page title="Approve this sign-in?">
        <div class="alert alert-warning" role="note">
          <p>
            <strong>Only approve if you started this sign-in yourself, just now.</strong> Approving
            lets {request.clientName} use your account as if it were you. If someone sent you this
            code or link, deny it.
          </p>
        </div>
        <dl class="totals">
          <div>
            <dt>App</dt>
            <dd>{request.clientName}</dd>
          </div>
          <div>
            <dt>IP address</dt>
            <dd>{request.ip ?? 'Unknown'}</dd>
          </div>
          <div>
            <dt>Browser and system</dt>
            <dd>{where ?? 'Unknown'}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>
              <time
                dateTime={request.createdAt.toISOString()}
                title={formatExact(request.createdAt)}
              >
                {formatRelative(request.createdAt)}
              </time>
            </dd>
          </div>
        </dl>
        <p class="muted">
          Code {shownCode}, valid until {formatExact(request.expiresAt)}.
        </p>
        <ProblemAlert problem={problem} />
        <div class="actions">
          <button
            type="button"
            class="primary"
            disabled={busy || wait > 0}
            onClick={() => decide('approved')}
          >
            Approve
          </button>
          <button
            type="button"
            class="danger"
            disabled={busy || wait > 0}
            onClick={() => decide('denied')}
          >
            Deny
          </button>
          <button type="button" disabled={busy} onClick={startOver}>
            Cancel
          </button>
        </div>
      </Page>
    );
  }

  return (
    <Page title="Sign in an app">
      <p>
        An app such as the CryptWeb command line shows a code to sign in with your account. Enter it
        here to see which app asks, then approve or deny it.
      </p>
      <ProblemAlert problem={problem} />
      <form onSubmit={lookUp} class="stack">
        <Field
          label="Code"
          hint="8 letters, as the app shows them, e.g. BCDF-GHJK."
          autoComplete="off"
          required
          maxLength={32}
          value={code}
          onValue={setCode}
          error={fieldError(problem, 'userCode')}
        />
        <SubmitButton busy={busy} wait={wait} busyLabel="Looking up…">
          Continue
        </SubmitButton>
      </form>
    </Page>
  );
}
