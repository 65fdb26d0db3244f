import { readFile } from 'node:fs/promises';

/** One line of the `file` mail transport (SPEC §2, MAIL_FILE). */
export interface Mail {
  to: string;
  subject: string;
  kind:
    | 'verify-email'
    | 'reset-password'
    | 'password-changed'
    | 'mfa-enabled'
    | 'mfa-disabled'
    | 'recovery-code-used'
    | 'new-sign-in'
    | 'email-change'
    | 'email-changed';
  code?: string;
  token?: string;
  sentAt?: string;
}

/** Reads mails from the server's MAIL_FILE; each mail is handed out once, in file order. */
export interface Mailbox {
  readonly path: string | undefined;
  next(to: string, kind: Mail['kind'], timeoutMs?: number): Promise<Mail>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readMails(path: string): Promise<Mail[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return [];
    throw error;
  }
  const mails: Mail[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      mails.push(JSON.parse(line) as Mail);
    } catch {
      // A line being written right now: it is read whole on the next poll.
    }
  }
  return mails;
}

export function createMailbox(path: string | undefined): Mailbox {
  const handedOut = new Map<string, number>();
  return {
    path,
    async next(to, kind, timeoutMs = 10_000) {
      if (!path) {
        throw new Error(
          "no mail file to read codes from: pass --mail-file (the server's MAIL_FILE, file transport)",
        );
      }
      const address = to.trim().toLowerCase();
      const key = `${address}\n${kind}`;
      const seen = handedOut.get(key) ?? 0;
      // Mail leaves through an outbox worker, off the request path: poll until it lands.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = (await readMails(path)).filter(
          (mail) => mail.to.toLowerCase() === address && mail.kind === kind,
        );
        const mail = matching[seen];
        if (mail) {
          handedOut.set(key, seen + 1);
          return mail;
        }
        if (Date.now() > deadline) {
          throw new Error(`no ${kind} mail to ${address} in ${path} within ${timeoutMs} ms`);
        }
        await sleep(100);
      }
    },
  };
}
