import type { Passkey } from '@cryptweb/client';
import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { describeError, fieldError } from '../errors.js';
import { formatDate } from '../format.js';
import { useAction, useCountdown } from '../hooks.js';
import { CURRENT_PASSWORD_WRONG, CurrentPasswordField } from './credential-fields.js';
import { Field } from './field.js';
import { ProblemAlert, SubmitButton } from './messages.js';

/**
 * One passkey of the account: renamed inline, removed after the current password (SPEC §9), so a
 * session left open cannot quietly take away the owner's way in.
 */
export function PasskeyItem({
  passkey,
  onRenamed,
  onRemoved,
  onStale,
}: {
  passkey: Passkey;
  onRenamed: (passkey: Passkey) => void;
  onRemoved: (passkey: Passkey) => void;
  /** The passkey is gone already (removed in another tab): reload the list and say why. */
  onStale: (message: string) => void;
}) {
  const { client } = useAuth();
  const [mode, setMode] = useState<'view' | 'rename' | 'remove'>('view');
  const [name, setName] = useState(passkey.name);
  const [password, setPassword] = useState('');
  const { busy, problem, setProblem, run } = useAction(CURRENT_PASSWORD_WRONG);
  const wait = useCountdown(problem);

  const open = (next: typeof mode) => {
    setProblem(null);
    setName(passkey.name);
    setPassword('');
    setMode(next);
  };

  const call = (change: () => Promise<void>) => (event: Event) => {
    event.preventDefault();
    void run(async () => {
      try {
        await change();
      } catch (error) {
        const described = describeError(error);
        if (described.reason !== 'PASSKEY_NOT_FOUND') throw error;
        onStale(described.message);
      }
    });
  };

  const rename = call(async () => {
    const renamed = await client.passkeys.rename.mutate({ id: passkey.id, name: name.trim() });
    setMode('view');
    onRenamed(renamed);
  });

  const remove = call(async () => {
    await client.passkeys.remove.mutate({ id: passkey.id, currentPassword: password });
    onRemoved(passkey);
  });

  return (
    <li>
      <div>
        <p>
          <strong>{passkey.name}</strong>
        </p>
        <p class="muted">
          Added {formatDate(passkey.createdAt)} ·{' '}
          {passkey.lastUsedAt ? `last used ${formatDate(passkey.lastUsedAt)}` : 'never used'}
        </p>
      </div>
      {mode === 'view' ? (
        <div class="actions">
          <button
            type="button"
            onClick={() => open('rename')}
            aria-label={`Rename ${passkey.name}`}
          >
            Rename
          </button>
          <button
            type="button"
            class="danger"
            onClick={() => open('remove')}
            aria-label={`Remove ${passkey.name}`}
          >
            Remove
          </button>
        </div>
      ) : (
        <form onSubmit={mode === 'rename' ? rename : remove} class="stack">
          <ProblemAlert problem={problem} />
          {mode === 'rename' ? (
            <Field
              label="New name"
              required
              maxLength={64}
              value={name}
              onValue={setName}
              error={fieldError(problem, 'name')}
            />
          ) : (
            <>
              <p>It can no longer sign you in. Your device keeps it until you delete it there.</p>
              <CurrentPasswordField problem={problem} value={password} onValue={setPassword} />
            </>
          )}
          <div class="actions">
            <SubmitButton
              busy={busy}
              wait={wait}
              busyLabel={mode === 'rename' ? 'Saving…' : 'Removing…'}
            >
              {mode === 'rename' ? 'Save name' : 'Remove passkey'}
            </SubmitButton>
            <button type="button" onClick={() => open('view')} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </li>
  );
}
