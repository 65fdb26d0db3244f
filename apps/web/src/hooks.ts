import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useAuth } from './auth.js';
import { describeError, type Problem, type Reason } from './errors.js';

/**
 * Runs a form's call: busy while it runs, the error as a Problem when it fails. A call that finds
 * the session gone signs the device out (the sign-in page then says why).
 */
export function useAction(overrides: Partial<Record<Reason, string>> = {}) {
  const auth = useAuth();
  // `run` stays the same function across auth changes, so effects that call it do not re-run.
  const authRef = useRef(auth);
  authRef.current = auth;
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const overridesRef = useRef(overrides);
  overridesRef.current = overrides;
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const run = useCallback(async (call: () => Promise<void>) => {
    setBusy(true);
    setProblem(null);
    try {
      await call();
    } catch (error) {
      const described = describeError(error, overridesRef.current);
      if (described.sessionGone && authRef.current.status === 'signed-in') {
        await authRef.current.verifySession();
      }
      if (mounted.current) setProblem(described);
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  return { busy, problem, setProblem, run };
}

/** Seconds left of a TOO_MANY_REQUESTS wait, counting down once a second. */
export function useCountdown(problem: Problem | null): number {
  const [left, setLeft] = useState(0);
  useEffect(() => {
    const seconds = problem?.retryAfterSeconds;
    if (!seconds) {
      setLeft(0);
      return;
    }
    const until = Date.now() + seconds * 1000;
    setLeft(seconds);
    const timer = setInterval(() => {
      const remaining = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      setLeft(remaining);
      if (remaining === 0) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [problem]);
  return left;
}

/** Moves focus to the page's heading when the page changes, so screen readers start there. */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}

/** One page of a list the server hands out by cursor (`{items, nextCursor}`). */
export interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A list loaded page by page: the first page on mount and whenever `fetchPage` changes (keep it
 * in a useCallback, with its filters as dependencies), more pages appended by `more`. Calls go
 * through `run` (from useAction), so busy and errors show as for any other call.
 */
export function usePagedList<T>(
  fetchPage: (cursor: string | undefined) => Promise<ListPage<T>>,
  run: (call: () => Promise<void>) => Promise<void>,
) {
  const [items, setItems] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);

  const load = useCallback(
    async (after?: string) => {
      const page = await fetchPage(after);
      setItems((list) => (after ? [...(list ?? []), ...page.items] : page.items));
      setCursor(page.nextCursor);
    },
    [fetchPage],
  );

  useEffect(() => {
    void run(() => load());
  }, [run, load]);

  return {
    items,
    /** Whether a next page exists. */
    hasMore: cursor !== null,
    reload: () => void run(() => load()),
    more: () => {
      if (cursor) void run(() => load(cursor));
    },
  };
}
