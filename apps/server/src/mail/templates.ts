import type { MailPayload } from '../db/schema.js';

export type MailKind =
  | 'verify-email'
  | 'reset-password'
  | 'password-changed'
  | 'mfa-enabled'
  | 'mfa-disabled'
  | 'recovery-code-used'
  | 'passkey-added'
  | 'passkey-removed'
  | 'new-sign-in'
  | 'email-change'
  | 'email-changed';

export interface MailMessage {
  kind: MailKind;
  to: string;
  subject: string;
  payload: MailPayload;
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(title: string, paragraphs: string[]): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${p}</p>`).join('');
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#111;max-width:480px;margin:auto;padding:24px"><h1 style="font-size:20px">${escapeHtml(title)}</h1>${body}<p style="color:#666;font-size:12px">CryptWeb</p></body></html>`;
}

export function verifyEmailMessage(
  to: string,
  name: string,
  code: string,
  ttlSeconds: number,
): MailMessage {
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  return {
    kind: 'verify-email',
    to,
    // Never the code: subjects show in notifications and inbox lists, and stay in the outbox row.
    subject: 'Your CryptWeb verification code',
    payload: {
      code,
      text: `Hi ${name},\n\nYour CryptWeb verification code is ${code}.\nIt expires in ${minutes} minutes.\n\nIf you did not sign up, ignore this email.`,
      html: layout('Verify your email', [
        `Hi ${escapeHtml(name)},`,
        `Your CryptWeb verification code is <strong style="font-size:24px;letter-spacing:4px">${code}</strong>.`,
        `It expires in ${minutes} minutes. If you did not sign up, ignore this email.`,
      ]),
    },
  };
}

export function resetPasswordMessage(
  to: string,
  name: string,
  appUrl: string,
  token: string,
  ttlSeconds: number,
): MailMessage {
  const link = `${appUrl.replace(/\/+$/, '')}/reset-password?token=${encodeURIComponent(token)}`;
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  return {
    kind: 'reset-password',
    to,
    subject: 'Reset your CryptWeb password',
    payload: {
      token,
      text: `Hi ${name},\n\nReset your CryptWeb password with this link (valid ${minutes} minutes, once):\n${link}\n\nIf you did not ask for this, ignore this email; your password stays the same.`,
      html: layout('Reset your password', [
        `Hi ${escapeHtml(name)},`,
        `<a href="${escapeHtml(link)}">Reset your CryptWeb password</a> (valid ${minutes} minutes, once).`,
        'If you did not ask for this, ignore this email; your password stays the same.',
      ]),
    },
  };
}

export function passwordChangedMessage(
  to: string,
  name: string,
  how: 'changed' | 'reset',
): MailMessage {
  return {
    kind: 'password-changed',
    to,
    subject: 'Your CryptWeb password was changed',
    payload: {
      text: `Hi ${name},\n\nYour CryptWeb password was just ${how}, and your other sessions were signed out.\nIf this was not you, reset your password now.`,
      html: layout('Your password was changed', [
        `Hi ${escapeHtml(name)},`,
        `Your CryptWeb password was just ${how}, and your other sessions were signed out.`,
        'If this was not you, reset your password now.',
      ]),
    },
  };
}

/** A notice with no secret in it (SPEC §9: the mail never carries a code or a TOTP secret). */
function notice(
  kind: MailKind,
  to: string,
  subject: string,
  name: string,
  lines: string[],
): MailMessage {
  return {
    kind,
    to,
    subject,
    payload: {
      text: `Hi ${name},\n\n${lines.join('\n')}`,
      html: layout(subject, [`Hi ${escapeHtml(name)},`, ...lines.map(escapeHtml)]),
    },
  };
}

export function mfaEnabledMessage(to: string, name: string): MailMessage {
  return notice('mfa-enabled', to, 'Two-factor authentication is on', name, [
    'Two-factor authentication was just turned on for your CryptWeb account: signing in now also asks for a code from your authenticator app.',
    'If this was not you, reset your password now.',
  ]);
}

export function mfaDisabledMessage(to: string, name: string): MailMessage {
  return notice('mfa-disabled', to, 'Two-factor authentication is off', name, [
    'Two-factor authentication was just turned off for your CryptWeb account: signing in now asks only for your password.',
    'If this was not you, reset your password now and turn it back on.',
  ]);
}

export function recoveryCodeUsedMessage(to: string, name: string, left: number): MailMessage {
  return notice('recovery-code-used', to, 'A recovery code was used', name, [
    `One of your CryptWeb recovery codes was just used; ${left} unused ${left === 1 ? 'code remains' : 'codes remain'}.`,
    'If this was not you, reset your password now and make new recovery codes.',
  ]);
}

export function passkeyAddedMessage(to: string, name: string, passkey: string): MailMessage {
  return notice('passkey-added', to, 'A passkey was added', name, [
    `A passkey named "${passkey}" was just added to your CryptWeb account: it can now sign you in.`,
    'If this was not you, remove it from your security settings and reset your password now.',
  ]);
}

export function passkeyRemovedMessage(to: string, name: string, passkey: string): MailMessage {
  return notice('passkey-removed', to, 'A passkey was removed', name, [
    `The passkey named "${passkey}" was just removed from your CryptWeb account.`,
    'If this was not you, reset your password now.',
  ]);
}

/** Where and how a sign-in happened, as a new-device mail tells it. */
export interface SignInPlace {
  deviceName: string | null;
  browser?: string | undefined;
  os?: string | undefined;
  ip?: string | undefined;
  at: Date;
}

export function newSignInMessage(
  to: string,
  name: string,
  appUrl: string,
  token: string,
  place: SignInPlace,
): MailMessage {
  const link = `${appUrl.replace(/\/+$/, '')}/app/not-me?token=${encodeURIComponent(token)}`;
  const facts = [
    `Device: ${place.deviceName ?? 'unnamed'}`,
    `Browser: ${place.browser ?? 'unknown'}`,
    `System: ${place.os ?? 'unknown'}`,
    `IP address: ${place.ip ?? 'unknown'}`,
    `Time: ${place.at.toISOString().replace('T', ' ').slice(0, 19)} UTC`,
  ];
  const intro = 'Your CryptWeb account was just signed in to from a device it has not seen before:';
  const ask =
    'If this was you, there is nothing to do. If it was not, this link (valid 7 days, once) signs that device out and mails you a link to set a new password:';
  return {
    kind: 'new-sign-in',
    to,
    subject: 'New sign-in to your CryptWeb account',
    payload: {
      token,
      text: `Hi ${name},\n\n${intro}\n\n${facts.join('\n')}\n\n${ask}\n${link}`,
      html: layout('New sign-in', [
        `Hi ${escapeHtml(name)},`,
        escapeHtml(intro),
        facts.map(escapeHtml).join('<br>'),
        escapeHtml(ask),
        `<a href="${escapeHtml(link)}">This was not me</a>`,
      ]),
    },
  };
}

export function confirmEmailChangeMessage(
  to: string,
  name: string,
  code: string,
  ttlSeconds: number,
): MailMessage {
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  return {
    kind: 'email-change',
    to,
    // Never the code in the subject (see verifyEmailMessage).
    subject: 'Confirm your new CryptWeb email address',
    payload: {
      code,
      text: `Hi ${name},\n\nTo make this your CryptWeb email address, enter the code ${code}.\nIt expires in ${minutes} minutes.\n\nIf you did not ask for this, ignore this email.`,
      html: layout('Confirm your new email', [
        `Hi ${escapeHtml(name)},`,
        `To make this your CryptWeb email address, enter the code <strong style="font-size:24px;letter-spacing:4px">${code}</strong>.`,
        `It expires in ${minutes} minutes. If you did not ask for this, ignore this email.`,
      ]),
    },
  };
}

export function emailChangedMessage(to: string, name: string, newEmail: string): MailMessage {
  return notice('email-changed', to, 'Your CryptWeb email address changed', name, [
    `Your CryptWeb account now uses ${newEmail}; mail about it no longer comes to this address.`,
    'If this was not you, reply to your administrator at once: someone may hold your account.',
  ]);
}
