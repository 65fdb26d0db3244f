import { useEffect, useState } from 'preact/hooks';
import type { Stats, Transfer } from '../api.js';
import { useAuth } from '../auth.js';
import { ProblemAlert } from '../components/messages.js';
import { Page } from '../components/page.js';
import { formatBytes, formatDate, formatDuration } from '../format.js';
import { useAction } from '../hooks.js';
import { useTransfers } from '../transfers.js';

type Direction = 'all' | 'sent' | 'received';

const FILTERS: { value: Direction; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'sent', label: 'Sent' },
  { value: 'received', label: 'Received' },
];

function files(count: number) {
  return `${count} ${count === 1 ? 'file' : 'files'}`;
}

export function HistoryPage() {
  const { client, me } = useAuth();
  const { version } = useTransfers();
  const [direction, setDirection] = useState<Direction>('all');
  const [stats, setStats] = useState<Stats | null>(null);
  const [items, setItems] = useState<Transfer[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const { busy, problem, run } = useAction();

  useEffect(() => {
    void run(async () => {
      const [totals, page] = await Promise.all([
        client.transfers.stats.query(),
        client.transfers.list.query({ direction, limit: 20 }),
      ]);
      setStats(totals);
      setItems(page.items);
      setCursor(page.nextCursor);
    });
  }, [client, direction, version, run]);

  const loadMore = () => {
    if (!cursor) return;
    void run(async () => {
      const page = await client.transfers.list.query({ direction, limit: 20, cursor });
      setItems((list) => [...(list ?? []), ...page.items]);
      setCursor(page.nextCursor);
    });
  };

  return (
    <Page title="History">
      {stats && (
        <dl class="totals" aria-label="Totals">
          <div>
            <dt>Sent</dt>
            <dd>
              {files(stats.sent.count)}, {formatBytes(stats.sent.bytes)}
            </dd>
          </div>
          <div>
            <dt>Received</dt>
            <dd>
              {files(stats.received.count)}, {formatBytes(stats.received.bytes)}
            </dd>
          </div>
        </dl>
      )}
      <fieldset class="filters">
        <legend>Show</legend>
        {FILTERS.map((filter) => (
          <label key={filter.value} class="check">
            <input
              type="radio"
              name="direction"
              value={filter.value}
              checked={direction === filter.value}
              onChange={() => setDirection(filter.value)}
            />
            {filter.label}
          </label>
        ))}
      </fieldset>
      <ProblemAlert problem={problem} />
      {items === null ? (
        <p class="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p class="muted">No transfers yet.</p>
      ) : (
        <ul class="cards" aria-label="Transfers">
          {items.map((transfer) => {
            const sent = transfer.sender.id === me?.user.id;
            const other = sent ? transfer.receiver : transfer.sender;
            return (
              <li key={transfer.id}>
                <div>
                  <p>
                    <span class={`tag ${sent ? 'sent' : 'received'}`}>
                      {sent ? 'Sent' : 'Received'}
                    </span>{' '}
                    <strong>{transfer.fileName}</strong> ({formatBytes(transfer.fileSize)}){' '}
                    {sent ? 'to' : 'from'} {other.name} &lt;{other.email}&gt;
                  </p>
                  <p class="muted">
                    {formatDate(transfer.completedAt)} · took {formatDuration(transfer.timeElapsed)}{' '}
                    · {transfer.transferType === 'WebRTC' ? 'peer-to-peer' : 'relayed'}
                  </p>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {cursor && (
        <button type="button" onClick={loadMore} disabled={busy}>
          {busy ? 'Loading…' : 'Show older transfers'}
        </button>
      )}
    </Page>
  );
}
