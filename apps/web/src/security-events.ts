import type { SecurityEvent, SessionView } from './api.js';

export type SecurityEventType = SecurityEvent['type'];
export type SecurityFlag = SecurityEvent['flags'][number];

/**
 * Each kind of event as the filter lists it; a Record, so a type added to the server fails the
 * build here until it has words.
 */
export const EVENT_TYPES: Record<SecurityEventType, string> = {
  'sign-in': 'Sign-ins',
  'sign-in-failed': 'Wrong passwords',
  'mfa-failed': 'Failed second steps',
  'refresh-reused': 'Reused sign-in tokens',
  'password-changed': 'Password changes',
  'password-reset': 'Password resets',
  'mfa-enabled': 'Two-factor turned on',
  'mfa-disabled': 'Two-factor turned off',
  'passkey-added': 'Passkeys added',
  'passkey-removed': 'Passkeys removed',
  'session-revoked': 'Sign-outs',
  'new-device': 'New devices',
  'email-changed': 'Email changes',
  'account-disabled': 'Account disabled',
  'admin-action': 'Administrator actions',
};

/** What each flag warns of (SPEC §10). */
export const FLAGS: Record<SecurityFlag, string> = {
  'new-device': 'New device',
  'new-network': 'New network',
  'many-failures': 'Many failed attempts',
  'token-reuse': 'Reused token: session ended',
};

/** A string field of an event's `detail`, which the server types loosely (`object`). */
function text(event: SecurityEvent, key: string): string | undefined {
  const value = event.detail[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function number(event: SecurityEvent, key: string): number | undefined {
  const value = event.detail[key];
  return typeof value === 'number' ? value : undefined;
}

function devices(count: number): string {
  return `${count} ${count === 1 ? 'device' : 'devices'}`;
}

/** How a session was started, from its `amr` (RFC 8176: pwd, otp, hwk). */
function signInWords(event: SecurityEvent): string {
  const amr = event.detail.amr;
  const methods = Array.isArray(amr) ? amr : [];
  if (!methods.includes('pwd') && methods.includes('hwk')) return 'Signed in with a passkey';
  if (methods.includes('otp')) return 'Signed in with password and authenticator code';
  if (methods.includes('hwk')) return 'Signed in with password and passkey';
  return 'Signed in';
}

const SECOND_STEPS: Record<string, string> = {
  totp: 'Wrong authenticator code',
  recovery: 'Wrong recovery code',
  passkey: 'Passkey not accepted at sign-in',
};

function revokedWords(event: SecurityEvent): string {
  switch (text(event, 'reason')) {
    case 'signed-out':
      return 'Signed out';
    case 'revoked-by-admin':
      return 'Signed out by an admin';
    case 'reported-not-me':
      return 'Sign-in reported as not you: that device was signed out';
    case 'revoked-all': {
      const count = number(event, 'sessions');
      return event.detail.includeCurrent === true
        ? 'Signed out everywhere'
        : `Signed out ${count === undefined ? 'the other devices' : `${devices(count)} elsewhere`}`;
    }
    default:
      return 'A device was signed out';
  }
}

/** One event in plain words: "Signed in", "Wrong password", "Passkey 'Laptop' added". */
export function describeEvent(event: SecurityEvent): string {
  const passkey = text(event, 'name');
  const ended = number(event, 'sessionsRevoked');
  const endedWords = ended ? `; ${devices(ended)} signed out` : '';
  switch (event.type) {
    case 'sign-in':
      return signInWords(event);
    case 'sign-in-failed':
      return 'Wrong password';
    case 'mfa-failed':
      return SECOND_STEPS[text(event, 'method') ?? ''] ?? 'Wrong second-step code';
    case 'refresh-reused':
      return 'A sign-in token was used twice: that session was ended';
    case 'password-changed':
      return `Password changed${endedWords}`;
    case 'password-reset':
      return `Password reset from an emailed link${endedWords}`;
    case 'mfa-enabled':
      return 'Two-factor authentication turned on';
    case 'mfa-disabled':
      return 'Two-factor authentication turned off';
    case 'passkey-added':
      return passkey ? `Passkey '${passkey}' added` : 'Passkey added';
    case 'passkey-removed':
      return passkey ? `Passkey '${passkey}' removed` : 'Passkey removed';
    case 'session-revoked':
      return revokedWords(event);
    case 'new-device':
      return 'Signed in from a new device';
    case 'email-changed':
      return 'Email address changed';
    case 'account-disabled':
      return 'Account disabled';
    case 'admin-action':
      return adminActionEvent(event, 'owner');
  }
}

/** "Chrome 140 on Linux", "Firefox 128", else null when the browser sent nothing we recognise. */
export function browserOn(event: {
  browser?: string | null | undefined;
  os?: string | null | undefined;
}): string | null {
  if (event.browser && event.os) return `${event.browser} on ${event.os}`;
  return event.browser ?? event.os ?? null;
}

/** "Work laptop", else "Chrome 140 on Linux", else "Unknown device". */
export function deviceLabel(session: Pick<SessionView, 'device'>): string {
  return session.device.name ?? browserOn(session.device) ?? 'Unknown device';
}

/** What an admin did to `target`, from `detail.action` (set by the server's admin procedures). */
function adminActionWords(event: SecurityEvent, target: string): string {
  switch (text(event, 'action')) {
    case 'set-role':
      return text(event, 'role') === 'admin'
        ? `made ${target} an admin`
        : `made ${target} a user, no longer an admin`;
    case 'disable': {
      const reason = text(event, 'reason');
      return reason ? `disabled ${target} (“${reason}”)` : `disabled ${target}`;
    }
    case 'enable':
      return `enabled ${target} again`;
    case 'revoke-session':
      return `signed out a session of ${target}`;
    default:
      return `changed ${target}`;
  }
}

/**
 * An admin action in plain words. The server records one event for the admin who acted
 * (`detail.targetUserId`) and one for the account acted on (`detail.actorUserId`), so the same
 * action reads differently in each log, and differently again to an admin reading another's.
 */
function adminActionEvent(event: SecurityEvent, reader: 'owner' | 'admin'): string {
  // Promoted at verification or startup because the server's configuration lists the address.
  if (text(event, 'via') === 'ADMIN_EMAILS') {
    return 'Made an admin: the server’s ADMIN_EMAILS lists this address';
  }
  if (text(event, 'targetUserId')) {
    return reader === 'owner'
      ? `As admin, you ${adminActionWords(event, 'an account')}`
      : `As admin, this account ${adminActionWords(event, 'another account')}`;
  }
  return `An admin ${adminActionWords(event, reader === 'owner' ? 'your account' : 'this account')}`;
}

/**
 * An event as an admin reads it in another account's log: as `describeEvent`, except that an
 * admin action speaks of "this account", not "your account".
 */
export function describeEventForAdmin(event: SecurityEvent): string {
  return event.type === 'admin-action' ? adminActionEvent(event, 'admin') : describeEvent(event);
}
