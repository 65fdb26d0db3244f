import { useCallback, useState } from 'preact/hooks';
import type { AdminUser } from '../api.js';
import { useAuth } from '../auth.js';
import { formatDate } from '../format.js';
import { useAction, usePagedList } from '../hooks.js';
import { Link } from '../router.js';
import { Tag } from './event-summary.js';
import { Field } from './field.js';
import { ProblemAlert } from './messages.js';
import { ShowMore } from './show-more.js';

/** Accounts per page: a screenful, and "Show more" for the rest. */
const PAGE_SIZE = 20;

/** "Admin", "Disabled", "Unverified": what sets an account apart, as tags. */
export function UserTags({ user }: { user: AdminUser }) {
  return (
    <>
      {user.role === 'admin' && <Tag kind="current">Admin</Tag>}
      {user.disabledAt && <Tag kind="flag">Disabled</Tag>}
      {!user.emailVerified && <Tag>Unverified</Tag>}
    </>
  );
}

/** Every account, newest first, searched by part of a name or email. */
export function AdminUsers() {
  const { client } = useAuth();
  const [query, setQuery] = useState('');
  // The search the list shows: typing alone does not reload it, submitting does.
  const [searched, setSearched] = useState('');
  const { busy, problem, run } = useAction();
  const fetchPage = useCallback(
    (cursor: string | undefined) =>
      client.admin.users.list.query({
        limit: PAGE_SIZE,
        ...(searched ? { query: searched } : {}),
        ...(cursor ? { cursor } : {}),
      }),
    [client, searched],
  );
  const { items: users, hasMore, more } = usePagedList(fetchPage, run);

  const search = (event: Event) => {
    event.preventDefault();
    setSearched(query.trim());
  };

  return (
    <section class="panel" aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      <ProblemAlert problem={problem} />
      <form onSubmit={search} class="actions filters">
        <Field
          label="Search users"
          hint="Part of a name or an email address."
          maxLength={254}
          value={query}
          onValue={setQuery}
        />
        <button type="submit" disabled={busy}>
          Search
        </button>
      </form>
      {users === null ? (
        <p class="muted">Loading…</p>
      ) : users.length === 0 ? (
        <p class="muted">{searched ? `No account matches “${searched}”.` : 'No accounts yet.'}</p>
      ) : (
        <ul class="cards" aria-label="Users">
          {users.map((user) => (
            <li key={user.id}>
              <div>
                <p>
                  <strong>{user.name}</strong>
                  <UserTags user={user} />
                </p>
                <p class="muted">
                  {user.email} · since {formatDate(user.createdAt)}
                </p>
              </div>
              <Link to="admin" params={{ user: user.id }} class="button">
                Details<span class="sr-only"> of {user.email}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      <ShowMore hasMore={hasMore} busy={busy} onMore={more} />
    </section>
  );
}
