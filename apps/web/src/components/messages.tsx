import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Problem } from '../errors.js';

/**
 * An error the person must read: announced at once (role=alert) and focused, so keyboard and
 * screen-reader users land on it after a failed submit.
 */
export function ProblemAlert({
  problem,
  children,
}: {
  problem: Problem | null;
  children?: ComponentChildren;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (problem) ref.current?.focus();
  }, [problem]);
  if (!problem) return null;
  return (
    <div ref={ref} class="alert alert-error" role="alert" tabIndex={-1}>
      <p>{problem.message}</p>
      {children}
    </div>
  );
}

/** A polite status message (success, progress), read without interrupting. */
export function Notice({
  children,
  tone = 'info',
}: {
  children: ComponentChildren;
  tone?: 'info' | 'success';
}) {
  return (
    <div class={`alert alert-${tone}`} role="status">
      {children}
    </div>
  );
}

/** A submit button that waits out a rate limit: disabled, with the seconds left on it. */
export function SubmitButton({
  busy,
  wait,
  children,
  busyLabel,
}: {
  busy: boolean;
  wait: number;
  children: ComponentChildren;
  busyLabel: string;
}) {
  return (
    <button type="submit" class="primary" disabled={busy || wait > 0} aria-busy={busy}>
      {busy ? busyLabel : wait > 0 ? `Wait ${wait} s` : children}
    </button>
  );
}
