import { useCallback } from 'preact/hooks';
import type { SecurityEvent } from '../api.js';
import { useAuth } from '../auth.js';
import { useAction, usePagedList } from '../hooks.js';
import { describeEventForAdmin } from '../security-events.js';
import { EventSummary } from './event-summary.js';
import { ProblemAlert } from './messages.js';
import { ShowMore } from './show-more.js';

/** One event of any account, as an admin reads it; flagged ones stand out as on the Security page. */
export function AdminEventItem({ event }: { event: SecurityEvent }) {
  return (
    <li class={event.flags.length > 0 ? 'flagged' : undefined}>
      <EventSummary event={event} title={describeEventForAdmin(event)} />
    </li>
  );
}

/** Events per page of the flagged list. */
const PAGE_SIZE = 20;

/**
 * Flagged events of every account (new device, new network, many failures, token reuse), newest
 * first: where an admin looks for accounts under attack.
 */
export function FlaggedEvents() {
  const { client } = useAuth();
  const { busy, problem, run } = useAction();
  const fetchPage = useCallback(
    (cursor: string | undefined) =>
      client.admin.securityEvents.list.query({
        flagged: true,
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      }),
    [client],
  );
  const { items: events, hasMore, reload, more } = usePagedList(fetchPage, run);

  return (
    <section class="panel" aria-labelledby="flagged-heading">
      <h2 id="flagged-heading">Flagged events</h2>
      <p class="muted">
        Across all accounts: sign-ins from new devices or networks, many failed attempts, reused
        tokens.
      </p>
      <ProblemAlert problem={problem} />
      <button type="button" onClick={reload} disabled={busy}>
        Refresh
      </button>
      {events === null ? (
        <p class="muted">Loading…</p>
      ) : events.length === 0 ? (
        <p class="muted">Nothing flagged.</p>
      ) : (
        <ul class="cards" aria-label="Flagged events">
          {events.map((event) => (
            <AdminEventItem key={event.id} event={event} />
          ))}
        </ul>
      )}
      <ShowMore hasMore={hasMore} busy={busy} onMore={more} />
    </section>
  );
}
