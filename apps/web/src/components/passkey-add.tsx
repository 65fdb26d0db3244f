import { addPasskey, type Passkey } from '@cryptweb/client';
import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { describeError, fieldError } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { passkeyCancelled } from '../passkeys.js';
import { CURRENT_PASSWORD_WRONG, CurrentPasswordField } from './credential-fields.js';
import { Field } from './field.js';
import { Notice, ProblemAlert, SubmitButton } from './messages.js';

/**
 * "Add a passkey": a name, then the browser's dialog. A session signed in more than 10 minutes ago
 * must show the password first (REAUTH_REQUIRED): the field appears and the next try sends it.
 */
export function AddPasskey({ onAdded }: { onAdded: (passkey: Passkey) => void }) {
  const { client } = useAuth();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [needsPassword, setNeedsPassword] = useState(false);
  const [cancelled, setCancelled] = useState(false);
  const { busy, problem, run } = useAction(CURRENT_PASSWORD_WRONG);
  const wait = useCountdown(problem);

  const submit = (event: Event) => {
    event.preventDefault();
    setCancelled(false);
    void run(async () => {
      let passkey: Passkey;
      try {
        passkey = await addPasskey(client, {
          name: name.trim(),
          ...(needsPassword ? { currentPassword: password } : {}),
        });
      } catch (error) {
        if (passkeyCancelled(error)) {
          setCancelled(true);
          return;
        }
        if (describeError(error).reason === 'REAUTH_REQUIRED') setNeedsPassword(true);
        throw error;
      }
      // `needsPassword` stays: the session only grows older, so the next passkey needs it too.
      setName('');
      setPassword('');
      onAdded(passkey);
    });
  };

  return (
    <>
      {cancelled && (
        <Notice>
          No passkey was added: the dialog was closed or timed out. Try again when you are ready.
        </Notice>
      )}
      <ProblemAlert problem={problem} />
      <form onSubmit={submit} class="stack">
        <Field
          label="Passkey name"
          hint="So you can tell your passkeys apart, e.g. “Work laptop” or “Security key”."
          required
          maxLength={64}
          value={name}
          onValue={setName}
          error={fieldError(problem, 'name')}
        />
        {needsPassword && (
          <CurrentPasswordField problem={problem} value={password} onValue={setPassword} />
        )}
        <SubmitButton busy={busy} wait={wait} busyLabel="Waiting for your passkey…">
          Add a passkey
        </SubmitButton>
      </form>
    </>
  );
}
