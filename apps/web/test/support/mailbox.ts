import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface Mail {
  to: string;
  kind:
    | 'verify-email'
    | 'reset-password'
    | 'password-changed'
    | 'passkey-added'
    | 'passkey-removed'
    | 'new-sign-in'
    | 'email-change'
    | 'email-changed';
  text: string;
  code?: string;
  token?: string;
}

/** Waits for the `nth` (1-based) mail of a kind to an address in DATA_DIR/mail.jsonl (`file` transport). */
export async function waitForMail(
  dataDir: string,
  to: string,
  kind: Mail['kind'],
  nth = 1,
  timeoutMs = 15_000,
): Promise<Mail> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let text = '';
    try {
      text = await readFile(path.join(dataDir, 'mail.jsonl'), 'utf8');
    } catch {
      // Not written yet: the outbox worker sends off the request path.
    }
    const matching = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Mail)
      .filter((mail) => mail.to === to.toLowerCase() && mail.kind === kind);
    const found = matching[nth - 1];
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${kind} mail #${nth} to ${to} within ${timeoutMs} ms`);
}
