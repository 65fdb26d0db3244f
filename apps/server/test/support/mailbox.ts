import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
  kind:
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
  code?: string;
  token?: string;
  sentAt: string;
}

/** Reads what the `file` mail transport delivered into DATA_DIR/mail.jsonl. */
export async function readMailbox(dataDir: string): Promise<Mail[]> {
  try {
    const text = await readFile(path.join(dataDir, 'mail.jsonl'), 'utf8');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Mail);
  } catch {
    return [];
  }
}

/** Waits for the `nth` (1-based) mail of a kind to an address, as the outbox worker delivers it. */
export async function waitForMail(
  dataDir: string,
  to: string,
  kind: Mail['kind'],
  nth = 1,
  timeoutMs = 10_000,
): Promise<Mail> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const matching = (await readMailbox(dataDir)).filter(
      (mail) => mail.to === to.toLowerCase() && mail.kind === kind,
    );
    const found = matching[nth - 1];
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${kind} mail #${nth} to ${to} within ${timeoutMs} ms`);
}
