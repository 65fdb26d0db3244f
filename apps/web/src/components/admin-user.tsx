import { useCallback, useEffect, useState } from 'preact/hooks';
import type { AdminUserDetail, SessionView } from '../api.js';
import { useAuth } from '../auth.js';
import { formatDate, formatRelative } from '../format.js';
import { useAction } from '../hooks.js';
import { Link } from '../router.js';
import { deviceLabel } from '../security-events.js';
import { AdminEventItem } from './admin-events.js';
import { UserTags } from './admin-users.js';
import { Field } from './field.js';
import { Notice, ProblemAlert } from './messages.js';

/**
 * One account as an admin manages it (SPEC §10): its role, disabling and enabling, its live
 * sessions (each can be signed out) and its recent events, flagged ones highlighted. Every change
 * reloads the account, so what shows is what the server holds, not what was asked for.
 */
export function AdminUserPanel({ userId, onChange }: { userId: string; onChange: () => void }) {
  const { client } = useAuth();
  const [detail, setDetail] = useState<AdminUserDetail | null>(null);
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const { busy, problem, run } = useAction();

  const reload = useCallback(async () => {
    setDetail(await client.admin.users.get.query({ userId }));
  }, [client, userId]);

  useEffect(() => {
    void run(reload);
  }, [run, reload]);

  // Whether or not the change went through, the account may have moved on: show it as it is.
  const change = (call: () => Promise<string>) => {
    setDone(null);
    void run(async () => {
      try {
        setDone(await call());
      } finally {
        await reload();
        onChange();
      }
    });
  };

  if (!detail) {
    return (
      <section class="panel">
        <ProblemAlert problem={problem} />
        {!problem && <p class="muted">Loading…</p>}
      </section>
    );
  }
  const { user, sessions, recentEvents } = detail;

  const setRole = (role: 'admin' | 'user') =>
    change(async () => {
      await client.admin.users.setRole.mutate({ userId, role });
      return role === 'admin'
        ? `${user.email} is now an admin.`
        : `${user.email} is no longer an admin.`;
    });
  const disable = (event: Event) => {
    event.preventDefault();
    change(async () => {
      await client.admin.users.disable.mutate({ userId, reason });
      setReason('');
      return `${user.email} is disabled and signed out everywhere.`;
    });
  };
  const enable = () =>
    change(async () => {
      await client.admin.users.enable.mutate({ userId });
      return `${user.email} can sign in again.`;
    });
  const revoke = (session: SessionView) =>
    change(async () => {
      await client.admin.sessions.revoke.mutate({ sessionId: session.id });
      return `${deviceLabel(session)} is signed out.`;
    });

  return (
    <section class="panel" aria-labelledby="user-heading">
      <p>
        <Link to="admin">All users</Link>
      </p>
      <h2 id="user-heading">
        {user.name}
        <UserTags user={user} />
      </h2>
      {done && <Notice tone="success">{done}</Notice>}
      <ProblemAlert problem={problem} />
      <dl class="totals">
        <div>
          <dt>Email</dt>
          <dd>{user.email}</dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd>{user.role === 'admin' ? 'Admin' : 'User'}</dd>
        </div>
        <div>
          <dt>Member since</dt>
          <dd>{formatDate(user.createdAt)}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>{user.disabledAt ? `Disabled ${formatRelative(user.disabledAt)}` : 'Active'}</dd>
        </div>
      </dl>
      {user.disabledAt && user.disabledReason && <p>Reason given: {user.disabledReason}</p>}
      <div class="actions">
        {user.role === 'admin' ? (
          <button type="button" disabled={busy} onClick={() => setRole('user')}>
            Make user
          </button>
        ) : (
          <button type="button" disabled={busy} onClick={() => setRole('admin')}>
            Make admin
          </button>
        )}
        {user.disabledAt && (
          <button type="button" class="primary" disabled={busy} onClick={enable}>
            Enable account
          </button>
        )}
      </div>
      {!user.disabledAt && (
        <form onSubmit={disable} class="stack" aria-labelledby="disable-heading">
          <h3 id="disable-heading">Disable the account</h3>
          <Field
            label="Reason for disabling"
            hint="Kept with the account and in its log. Disabling signs it out everywhere at once."
            required
            maxLength={500}
            value={reason}
            onValue={setReason}
          />
          <button type="submit" class="danger" disabled={busy}>
            Disable account
          </button>
        </form>
      )}

      <h3>Signed-in devices</h3>
      {sessions.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ul class="cards" aria-label="Sessions">
          {sessions.map((session) => (
            <li key={session.id}>
              <div>
                <p>
                  <strong>{deviceLabel(session)}</strong>
                </p>
                <p class="muted">
                  Signed in {formatDate(session.createdAt)} · last used{' '}
                  {formatRelative(session.lastUsedAt)}
                  {session.ip ? ` · ${session.ip}` : ''}
                </p>
              </div>
              <button type="button" class="danger" disabled={busy} onClick={() => revoke(session)}>
                Sign out
              </button>
            </li>
          ))}
        </ul>
      )}

      <h3>Recent events</h3>
      {recentEvents.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ul class="cards" aria-label="Recent events">
          {recentEvents.map((event) => (
            <AdminEventItem key={event.id} event={event} />
          ))}
        </ul>
      )}
    </section>
  );
}
