import type { ComponentChildren } from 'preact';
import type { SecurityEvent } from '../api.js';
import { formatExact, formatRelative } from '../format.js';
import { browserOn, FLAGS } from '../security-events.js';

/** A tag after a title, with a space before it, so tags read as words, not one run-on. */
export function Tag({ kind, children }: { kind?: string; children: ComponentChildren }) {
  return (
    <>
      {' '}
      <span class={kind ? `tag ${kind}` : 'tag'}>{children}</span>
    </>
  );
}

/**
 * A security event as every event list shows it: what happened, its tags and flags, then when
 * (the exact time on hover), from which browser and address.
 */
export function EventSummary({
  event,
  title,
  tags,
}: {
  event: SecurityEvent;
  title: string;
  tags?: ComponentChildren;
}) {
  return (
    <div>
      <p>
        <strong>{title}</strong>
        {tags}
        {event.flags.map((flag) => (
          <Tag key={flag} kind="flag">
            {FLAGS[flag]}
          </Tag>
        ))}
      </p>
      <p class="muted">
        <time dateTime={event.at.toISOString()} title={formatExact(event.at)}>
          {formatRelative(event.at)}
        </time>
        {/* Events the server records on its own (an admin's action on this account) come
            from no browser: then none is named. */}
        {event.ip || event.userAgent ? ` · ${browserOn(event) ?? 'An unknown browser'}` : ''}
        {event.ip ? ` · ${event.ip}` : ''}
      </p>
    </div>
  );
}
