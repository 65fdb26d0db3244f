import { useCallback, useEffect, useState } from 'preact/hooks';
import type { AdminStats } from '../api.js';
import { useAuth } from '../auth.js';
import { FlaggedEvents } from '../components/admin-events.js';
import { AdminUserPanel } from '../components/admin-user.js';
import { AdminUsers } from '../components/admin-users.js';
import { ProblemAlert } from '../components/messages.js';
import { Page } from '../components/page.js';
import { useAction } from '../hooks.js';
import { useLocation } from '../router.js';

const STATS: [keyof AdminStats, string][] = [
  ['users', 'Users'],
  ['verifiedUsers', 'Verified'],
  ['activeSessions', 'Signed-in sessions'],
  ['onlinePeers', 'Online now'],
  ['transfersLast24h', 'Transfers, last 24 h'],
];

/**
 * Administration (SPEC §10): the numbers, the accounts, one account in detail (`?user=`, so it
 * can be linked and the browser's back returns to the list), and flagged events. A non-admin who
 * opens it reads the server's ADMIN_REQUIRED and nothing else.
 */
export function AdminPage() {
  const { client } = useAuth();
  const { params } = useLocation();
  const userId = params.get('user');
  const [stats, setStats] = useState<AdminStats | null>(null);
  const { problem, run } = useAction();

  const reload = useCallback(async () => {
    setStats(await client.admin.stats.query());
  }, [client]);

  useEffect(() => {
    void run(reload);
  }, [run, reload]);

  if (problem?.reason === 'ADMIN_REQUIRED') {
    return (
      <Page title="Admin">
        <ProblemAlert problem={problem} />
      </Page>
    );
  }
  return (
    <Page title="Admin">
      <ProblemAlert problem={problem} />
      {stats && (
        <dl class="totals" aria-label="Statistics">
          {STATS.map(([key, label]) => (
            <div key={key}>
              <dt>{label}</dt>
              <dd>{stats[key]}</dd>
            </div>
          ))}
        </dl>
      )}
      {userId ? (
        <AdminUserPanel key={userId} userId={userId} onChange={() => void run(reload)} />
      ) : (
        <>
          <AdminUsers />
          <FlaggedEvents />
        </>
      )}
    </Page>
  );
}
