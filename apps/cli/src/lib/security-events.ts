import type { RouterOutputs } from '@cryptweb/client';
import type { Painter } from './colors.js';
import { formatDate } from './format.js';
import { renderTable } from './table.js';

export type SecurityEvent = RouterOutputs['account']['securityLog']['items'][number];

/**
 * SPEC §10's event types, for `--type` choices and completion. The SDK carries the server's types
 * but not its schemas, so the list is written here and checked against those types both ways.
 */
export const SECURITY_EVENT_TYPES = [
  'sign-in',
  'sign-in-failed',
  'mfa-failed',
  'refresh-reused',
  'password-changed',
  'password-reset',
  'mfa-enabled',
  'mfa-disabled',
  'passkey-added',
  'passkey-removed',
  'session-revoked',
  'new-device',
  'email-changed',
  'account-disabled',
  'admin-action',
] as const satisfies readonly SecurityEvent['type'][];

/** Fails to compile when the server has a type this list lacks (the other way, `satisfies` does). */
const everyType: Exclude<SecurityEvent['type'], (typeof SECURITY_EVENT_TYPES)[number]> extends never
  ? true
  : never = true;
void everyType;

/** Failures and reuse are what a person scans the log for; they stand out in red. */
const ALARMING = new Set<string>(['sign-in-failed', 'mfa-failed', 'refresh-reused']);

function deviceOf(event: SecurityEvent): string {
  return [event.browser, event.os].filter(Boolean).join(' on ');
}

/** when, event, flags (highlighted), browser/OS, IP: the log as `cryptweb security-log` shows it. */
export function securityEventsTable(events: SecurityEvent[], paint: Painter): string {
  if (events.length === 0) return paint.dim('no security events');
  return renderTable(
    ['when', 'event', 'flags', 'device', 'ip'],
    events.map((event) => [
      formatDate(event.at),
      ALARMING.has(event.type) ? paint.red(event.type) : event.type,
      event.flags.map((flag) => paint.yellow(paint.bold(flag))).join(' '),
      deviceOf(event),
      event.ip ?? '',
    ]),
    { header: paint.dim },
  );
}

/** "more: <command> --cursor C (or --all)" under a page that has a next one. */
export function moreLine(command: string, nextCursor: string | null, paint: Painter): string[] {
  return nextCursor ? [paint.dim(`more: ${command} --cursor ${nextCursor} (or --all)`)] : [];
}
