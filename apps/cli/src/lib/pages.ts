import { InvalidArgumentError } from 'commander';

/** A `--limit` value: the server takes 1–100 and says so itself when it is more. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * One page from `cursor`, or with `all` every page to the end: the list procedures (SPEC §10)
 * page with an opaque cursor, and a person asking for "all" should not have to follow it by hand.
 */
export async function collectPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  options: { cursor?: string | undefined; all: boolean },
): Promise<Page<T>> {
  const items: T[] = [];
  let cursor = options.cursor;
  let nextCursor: string | null = null;
  do {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    nextCursor = page.nextCursor;
    cursor = nextCursor ?? undefined;
  } while (options.all && nextCursor);
  return { items, nextCursor };
}
