import { useCallback, useEffect, useState } from 'preact/hooks';
import type { MfaStatus } from '../api.js';
import { useAuth } from '../auth.js';
import { Notice, ProblemAlert } from '../components/messages.js';
import { Page } from '../components/page.js';
import { PasskeysPanel } from '../components/passkeys-panel.js';
import { ReauthForm } from '../components/reauth-form.js';
import { RecoveryCodes } from '../components/recovery-codes.js';
import { SecurityLog } from '../components/security-log.js';
import { TotpEnrol } from '../components/totp-enrol.js';
import { useAction } from '../hooks.js';

/** Fewer left than this, and the page suggests a new set before the last one is spent. */
const FEW_CODES_LEFT = 3;

/** "On (authenticator app and 2 passkeys)": what a password sign-in asks for next. */
function secondFactors(status: MfaStatus): string {
  const factors = [
    status.totp ? 'authenticator app' : '',
    status.passkeys > 0
      ? status.passkeys === 1
        ? 'a passkey'
        : `${status.passkeys} passkeys`
      : '',
  ].filter(Boolean);
  return factors.length === 0 ? 'Off' : `On (${factors.join(' and ')})`;
}

/**
 * Second factors of the account (SPEC §9): the authenticator app, its recovery codes, passkeys;
 * then what happened to the account lately (SPEC §10).
 */
export function SecurityPage() {
  const { client, me } = useAuth();
  const [status, setStatus] = useState<MfaStatus | null>(null);
  // A set of recovery codes the server just made: on screen until the person says they stored it.
  const [codes, setCodes] = useState<string[] | null>(null);
  const [notice, setNotice] = useState<{ text: string; tone: 'info' | 'success' } | null>(null);
  const { problem, run } = useAction();

  const reload = useCallback(async () => {
    setStatus(await client.mfa.status.query());
  }, [client]);

  useEffect(() => {
    void run(reload);
  }, [run, reload]);

  const showCodes = (recoveryCodes: string[], text: string) => {
    setCodes(recoveryCodes);
    setNotice({ text, tone: 'success' });
    void run(reload);
  };

  return (
    <Page title="Security">
      {notice && <Notice tone={notice.tone}>{notice.text}</Notice>}
      <ProblemAlert problem={problem} />
      {status && (
        <dl class="totals">
          <div>
            <dt>Two-factor authentication</dt>
            <dd>{secondFactors(status)}</dd>
          </div>
          <div>
            <dt>Passkeys</dt>
            <dd>{status.passkeys}</dd>
          </div>
          {status.totp && (
            <div>
              <dt>Recovery codes left</dt>
              <dd>{status.recoveryCodesLeft}</dd>
            </div>
          )}
        </dl>
      )}
      {codes && me ? (
        <RecoveryCodes
          email={me.user.email}
          codes={codes}
          onDone={() => {
            setCodes(null);
            setNotice(null);
          }}
        />
      ) : status === null ? (
        <p class="muted">Loading…</p>
      ) : status.totp ? (
        <>
          {status.recoveryCodesLeft < FEW_CODES_LEFT && (
            <div class="alert alert-warning">
              <p>
                {status.recoveryCodesLeft === 0
                  ? 'You have no recovery codes left.'
                  : 'You have few recovery codes left.'}{' '}
                Make a new set below, so losing your phone does not lock you out.
              </p>
            </div>
          )}
          <ReauthForm
            title="New recovery codes"
            description="Makes a new set of 10 codes; the codes you have now stop working."
            submitLabel="Make new recovery codes"
            busyLabel="Making codes…"
            onSubmit={async (input) => {
              const { recoveryCodes } = await client.mfa.recoveryCodes.regenerate.mutate(input);
              showCodes(recoveryCodes, 'New recovery codes made. The old ones no longer work.');
            }}
          />
          <ReauthForm
            title="Turn off two-factor authentication"
            description="Signing in then needs only your password. Your recovery codes stop working."
            submitLabel="Turn off"
            busyLabel="Turning off…"
            onSubmit={async (input) => {
              await client.mfa.totp.disable.mutate(input);
              setNotice({ text: 'Two-factor authentication is off.', tone: 'success' });
              await reload();
            }}
          />
        </>
      ) : (
        <section class="panel" aria-labelledby="totp-heading">
          <h2 id="totp-heading">Authenticator app</h2>
          <TotpEnrol
            onEnabled={(recoveryCodes) =>
              showCodes(
                recoveryCodes,
                'Two-factor authentication is on. Signing in now asks for a code from your app.',
              )
            }
            onStale={(text) => {
              setNotice({ text, tone: 'info' });
              void run(reload);
            }}
          />
        </section>
      )}
      {/* While fresh recovery codes are on screen, they are the one thing to deal with. */}
      {status && !codes && <PasskeysPanel onChange={() => void run(reload)} />}
      {!codes && <SecurityLog />}
    </Page>
  );
}
