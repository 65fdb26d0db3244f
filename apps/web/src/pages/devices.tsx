import { useCallback, useEffect, useState } from 'preact/hooks';
import type { SessionView } from '../api.js';
import { useAuth } from '../auth.js';
import { Notice, ProblemAlert } from '../components/messages.js';
import { Page } from '../components/page.js';
import { formatDate } from '../format.js';
import { useAction } from '../hooks.js';
import { deviceLabel } from '../security-events.js';

export function DevicesPage() {
  const auth = useAuth();
  const { client } = auth;
  const [sessions, setSessions] = useState<SessionView[] | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { busy, problem, run } = useAction();

  const reload = useCallback(async () => {
    setSessions(await client.sessions.list.query());
  }, [client]);

  useEffect(() => {
    void run(reload);
  }, [run, reload]);

  const revoke = (session: SessionView) => {
    setDone(null);
    void run(async () => {
      try {
        await client.sessions.revoke.mutate({ sessionId: session.id });
        setDone(`${deviceLabel(session)} is signed out.`);
      } finally {
        await reload();
      }
    });
  };

  const revokeOthers = () => {
    setDone(null);
    void run(async () => {
      const { revoked } = await client.sessions.revokeAll.mutate({ includeCurrent: false });
      setDone(
        revoked.length === 0
          ? 'No other device was signed in.'
          : `Signed out ${revoked.length} other ${revoked.length === 1 ? 'device' : 'devices'}.`,
      );
      await reload();
    });
  };

  const others = sessions?.filter((session) => !session.current) ?? [];
  return (
    <Page title="Devices">
      <p>Every device signed in to your account. Sign out any you do not recognise.</p>
      {done && <Notice tone="success">{done}</Notice>}
      <ProblemAlert problem={problem} />
      {sessions === null ? (
        <p class="muted">Loading…</p>
      ) : (
        <ul class="cards" aria-label="Signed-in devices">
          {sessions.map((session) => {
            const label = deviceLabel(session);
            return (
              <li key={session.id} class="device">
                <div>
                  <p>
                    <strong>{label}</strong>
                    {session.current && <span class="tag current">This device</span>}
                  </p>
                  <p class="muted">
                    {session.device.name && session.device.browser
                      ? `${session.device.browser}${session.device.os ? ` on ${session.device.os}` : ''} · `
                      : ''}
                    {session.ip ? `${session.ip} · ` : ''}signed in {formatDate(session.createdAt)}{' '}
                    · last active {formatDate(session.lastUsedAt)}
                  </p>
                </div>
                {session.current ? (
                  <button type="button" onClick={() => void auth.signOut()} disabled={busy}>
                    Sign out this device
                  </button>
                ) : (
                  <button
                    type="button"
                    onClick={() => revoke(session)}
                    disabled={busy}
                    aria-label={`Sign out ${label}`}
                  >
                    Sign out
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <button
        type="button"
        class="danger"
        onClick={revokeOthers}
        disabled={busy || others.length === 0}
      >
        Sign out everywhere else
      </button>
    </Page>
  );
}
