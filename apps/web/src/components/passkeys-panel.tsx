import type { Passkey } from '@cryptweb/client';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { useAction } from '../hooks.js';
import { passkeysUnavailable } from '../passkeys.js';
import { Notice, ProblemAlert } from './messages.js';
import { AddPasskey } from './passkey-add.js';
import { PasskeyItem } from './passkey-item.js';

/**
 * The account's passkeys (SPEC §9): listed with when they were added and last used, renamed,
 * removed, added. `onChange` lets the page update its counts.
 */
export function PasskeysPanel({ onChange }: { onChange: () => void }) {
  const { client } = useAuth();
  const [passkeys, setPasskeys] = useState<Passkey[] | null>(null);
  const [notice, setNotice] = useState<{ text: string; tone: 'info' | 'success' } | null>(null);
  const { problem, run } = useAction();
  // Renaming and removing work anywhere; only making or using a passkey needs WebAuthn here.
  const unavailable = passkeysUnavailable();

  const reload = useCallback(async () => {
    setPasskeys(await client.passkeys.list.query());
  }, [client]);

  useEffect(() => {
    void run(reload);
  }, [run, reload]);

  const changed = (text: string, tone: 'info' | 'success' = 'success') => {
    setNotice({ text, tone });
    onChange();
    void run(reload);
  };

  return (
    <section class="panel" aria-labelledby="passkeys-heading">
      <h2 id="passkeys-heading">Passkeys</h2>
      <p>
        A passkey signs you in with this device’s screen lock or a security key, without your
        password. While you have one, signing in with your password also asks for it.
      </p>
      {notice && <Notice tone={notice.tone}>{notice.text}</Notice>}
      <ProblemAlert problem={problem} />
      {passkeys === null ? (
        <p class="muted">Loading…</p>
      ) : passkeys.length === 0 ? (
        <p class="muted">You have no passkeys yet.</p>
      ) : (
        <ul class="cards" aria-label="Your passkeys">
          {passkeys.map((passkey) => (
            <PasskeyItem
              key={passkey.id}
              passkey={passkey}
              onRenamed={(renamed) => changed(`Renamed to “${renamed.name}”.`)}
              onRemoved={(removed) => changed(`Passkey “${removed.name}” removed.`)}
              onStale={(text) => changed(text, 'info')}
            />
          ))}
        </ul>
      )}
      {unavailable ? (
        <div class="alert alert-warning">
          <p>{unavailable}</p>
        </div>
      ) : (
        <AddPasskey
          onAdded={(added) =>
            changed(
              `Passkey “${added.name}” added. You can now sign in with it, no password needed.`,
            )
          }
        />
      )}
    </section>
  );
}
