import { useCallback, useEffect, useState } from 'preact/hooks';
import type { SecurityEvent, SessionView } from '../api.js';
import { useAuth } from '../auth.js';
import { useAction } from '../hooks.js';
import { Link } from '../router.js';
import {
  browserOn,
  describeEvent,
  EVENT_TYPES,
  type SecurityEventType,
} from '../security-events.js';
import { EventSummary, Tag } from './event-summary.js';
import { Notice, ProblemAlert } from './messages.js';
import { ShowMore } from './show-more.js';

/** Events per page: enough to see a day's sign-ins without the list burying the page. */
const PAGE_SIZE = 10;

const TYPE_OPTIONS = Object.entries(EVENT_TYPES) as [SecurityEventType, string][];

function isEventType(value: string): value is SecurityEventType {
  return value in EVENT_TYPES;
}

/**
 * The account's security log (SPEC §10), newest first: what happened, when, from which browser
 * and address, flagged events highlighted. A sign-in whose session still lives elsewhere can be
 * disowned from here ("This wasn't me"), which signs that session out.
 */
export function SecurityLog() {
  const { client } = useAuth();
  const [type, setType] = useState<SecurityEventType | ''>('');
  const [events, setEvents] = useState<SecurityEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  // The account's live sessions: which sign-ins can still be ended, and which one is this device.
  const [sessions, setSessions] = useState<SessionView[]>([]);
  const [disowned, setDisowned] = useState<string | null>(null);
  const { busy, problem, run } = useAction();

  const reload = useCallback(async () => {
    const [page, live] = await Promise.all([
      client.account.securityLog.query({ limit: PAGE_SIZE, ...(type ? { type } : {}) }),
      client.sessions.list.query(),
    ]);
    setEvents(page.items);
    setCursor(page.nextCursor);
    setSessions(live);
  }, [client, type]);

  useEffect(() => {
    void run(reload);
  }, [run, reload]);

  const loadMore = () => {
    if (!cursor) return;
    void run(async () => {
      const page = await client.account.securityLog.query({
        limit: PAGE_SIZE,
        cursor,
        ...(type ? { type } : {}),
      });
      setEvents((list) => [...(list ?? []), ...page.items]);
      setCursor(page.nextCursor);
    });
  };

  const notMe = (sessionId: string, where: string) => {
    setDisowned(null);
    void run(async () => {
      try {
        await client.sessions.revoke.mutate({ sessionId });
        setDisowned(where);
      } finally {
        // Either way the list is stale: the sign-out is a new event, or it happened elsewhere.
        await reload();
      }
    });
  };

  const current = sessions.find((session) => session.current)?.id;
  const live = new Set(sessions.map((session) => session.id));

  return (
    <section class="panel" aria-labelledby="activity-heading">
      <h2 id="activity-heading">Recent activity</h2>
      <p class="muted">
        Sign-ins and changes to your account’s security from the last 180 days. Flagged entries are
        worth a second look.
      </p>
      {disowned !== null && (
        <Notice tone="success">
          <p>
            {disowned} is signed out. If you did not sign in there, someone knows your password:{' '}
            <Link to="account">change your password</Link> now.
          </p>
        </Notice>
      )}
      <ProblemAlert problem={problem} />
      <div class="actions filters">
        <div class="field">
          <label for="activity-type">Show</label>
          <select
            id="activity-type"
            value={type}
            onChange={(event) => {
              const value = event.currentTarget.value;
              setType(isEventType(value) ? value : '');
            }}
          >
            <option value="">All activity</option>
            {TYPE_OPTIONS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="button" onClick={() => void run(reload)} disabled={busy}>
          Refresh
        </button>
      </div>
      {events === null ? (
        <p class="muted">Loading…</p>
      ) : events.length === 0 ? (
        <p class="muted">Nothing to show.</p>
      ) : (
        <ul class="cards" aria-label="Recent activity">
          {events.map((event) => {
            const where = browserOn(event) ?? 'An unknown browser';
            const session = event.type === 'sign-in' ? event.sessionId : null;
            const thisDevice = session !== null && session === current;
            const disownable =
              session !== null && !thisDevice && live.has(session) ? session : null;
            return (
              <li key={event.id} class={event.flags.length > 0 ? 'flagged' : undefined}>
                <EventSummary
                  event={event}
                  title={describeEvent(event)}
                  tags={thisDevice && <Tag kind="current">This device</Tag>}
                />
                {disownable && (
                  <button
                    type="button"
                    class="danger"
                    disabled={busy}
                    onClick={() => notMe(disownable, where)}
                  >
                    This wasn’t me
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <ShowMore hasMore={cursor !== null} busy={busy} onMore={loadMore} />
    </section>
  );
}
