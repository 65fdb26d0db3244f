import { useEffect, useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { describeError, fieldError } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { CURRENT_PASSWORD_WRONG, CurrentPasswordField } from './credential-fields.js';
import { Field } from './field.js';
import { ProblemAlert, SubmitButton } from './messages.js';

interface Pending {
  secret: string;
  otpauthUri: string;
}

/**
 * The QR code of the otpauth:// URI, as a PNG data: URL (the app's CSP allows data: images), drawn
 * here: the secret never goes to a third-party QR service.
 */
function QrCode({ uri }: { uri: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    // Loaded on first use: only people turning two-factor on need the encoder in their bundle.
    // Light squares stay white in dark mode too: scanners need the contrast of the standard colours.
    import('qrcode')
      .then(({ toDataURL }) => toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 224 }))
      .then(
        (url) => live && setSrc(url),
        // The key below still works when the code cannot be drawn.
        () => live && setSrc(null),
      );
    return () => {
      live = false;
    };
  }, [uri]);
  if (!src) return null;
  return (
    <img
      class="qr"
      src={src}
      width={224}
      height={224}
      alt="QR code to scan with your authenticator app"
    />
  );
}

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to type; authenticator apps ignore spaces. */
function groupKey(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}

/**
 * Turning the authenticator app on (SPEC §9): the password, then the QR code and the key, then a
 * first code from the app; the server answers the recovery codes, which `onEnabled` shows.
 */
export function TotpEnrol({
  onEnabled,
  onStale,
}: {
  onEnabled: (recoveryCodes: string[]) => void;
  /** The account's state changed elsewhere (another tab turned it on): reload and say why. */
  onStale: (message: string) => void;
}) {
  const { client } = useAuth();
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState<Pending | null>(null);
  const [code, setCode] = useState('');
  const { busy, problem, run } = useAction({
    ...CURRENT_PASSWORD_WRONG,
    // Only the app's code is taken here: the recovery codes do not exist yet.
    MFA_CODE_INVALID:
      'That code is not right. Enter the 6-digit code your authenticator app shows now for CryptWeb.',
  });
  const wait = useCountdown(problem);

  const start = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      try {
        setPending(await client.mfa.totp.enroll.mutate({ currentPassword: password }));
      } catch (error) {
        const described = describeError(error);
        if (described.reason !== 'MFA_ALREADY_ENABLED') throw error;
        onStale(described.message);
        return;
      }
      setPassword('');
      setCode('');
    });
  };

  const confirm = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      try {
        const { recoveryCodes } = await client.mfa.totp.confirm.mutate({
          code: code.replace(/\s/g, ''),
        });
        onEnabled(recoveryCodes);
      } catch (error) {
        // The enrolment is gone (finished or restarted in another tab): start again from the password.
        if (describeError(error).reason === 'MFA_NOT_PENDING') setPending(null);
        throw error;
      }
    });
  };

  if (!pending) {
    return (
      <>
        <p>
          Sign-in then asks for a code from an authenticator app on your phone (such as Aegis,
          Google Authenticator or 1Password) after your password.
        </p>
        <ProblemAlert problem={problem} />
        <form onSubmit={start} class="stack">
          <CurrentPasswordField problem={problem} value={password} onValue={setPassword} />
          <SubmitButton busy={busy} wait={wait} busyLabel="Checking…">
            Set up authenticator app
          </SubmitButton>
        </form>
      </>
    );
  }

  return (
    <>
      <ol class="steps">
        <li>
          <p>Scan this QR code with your authenticator app.</p>
          <QrCode uri={pending.otpauthUri} />
          <p>
            Or enter this key in the app: <code class="secret">{groupKey(pending.secret)}</code>
          </p>
          <p>
            <a href={pending.otpauthUri}>Open in an authenticator app on this device</a>
          </p>
        </li>
        <li>
          <p>Enter the 6-digit code the app shows for CryptWeb.</p>
        </li>
      </ol>
      <ProblemAlert problem={problem} />
      <form onSubmit={confirm} class="stack">
        <Field
          label="Code from the app"
          autoComplete="one-time-code"
          inputMode="numeric"
          required
          maxLength={7}
          value={code}
          onValue={setCode}
          error={fieldError(problem, 'code')}
        />
        <div class="actions">
          <SubmitButton busy={busy} wait={wait} busyLabel="Checking…">
            Turn on
          </SubmitButton>
          <button type="button" onClick={() => setPending(null)} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
    </>
  );
}
