/** The button under a list that loads its next page; there only while one exists. */
export function ShowMore({
  hasMore,
  busy,
  onMore,
}: {
  hasMore: boolean;
  busy: boolean;
  onMore: () => void;
}) {
  if (!hasMore) return null;
  return (
    <button type="button" onClick={onMore} disabled={busy}>
      {busy ? 'Loading…' : 'Show more'}
    </button>
  );
}
