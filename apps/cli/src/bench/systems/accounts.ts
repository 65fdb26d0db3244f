import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mapLimit } from '../support/limit.js';
import { sleep } from '../support/procs.js';

export interface Account {
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/**
 * Reads verification codes from servers' MAIL_FILEs (one JSON object per line). Instances that
 * share a database share its mail outbox: any of them may send a given mail.
 */
class Mailbox {
  private readonly offsets = new Map<string, number>();
  private readonly codes = new Map<string, string>();

  constructor(private readonly files: string[]) {}

  private scan() {
    for (const file of this.files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const end = text.lastIndexOf('\n') + 1;
      for (const line of text.slice(this.offsets.get(file) ?? 0, end).split('\n')) {
        if (!line) continue;
        const mail = JSON.parse(line) as { to?: string; kind?: string; code?: string };
        if (mail.kind === 'verify-email' && mail.to && mail.code)
          this.codes.set(mail.to, mail.code);
      }
      this.offsets.set(file, end);
    }
  }

  async code(email: string, timeoutMs = 20_000): Promise<string> {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      this.scan();
      const code = this.codes.get(email);
      if (code) return code;
      await sleep(25);
    }
    throw new Error(`no verification code for ${email} within ${timeoutMs} ms`);
  }
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`POST ${new URL(url).pathname} → ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Signs `email` in again: a new session and token pair. */
export async function signIn(baseUrl: string, email: string, password: string): Promise<Account> {
  const tokens = await post<{ accessToken: string; refreshToken: string }>(
    `${baseUrl}/api/v1/auth/login`,
    { email, password },
  );
  return { email, password, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
}

/**
 * Real users through the REST surface: sign up, read the mailed code, verify, sign in. The
 * server must run with sign-up, verification and sign-in rate limits lifted (bench limits).
 */
export async function createAccounts(
  server: { url: string; mailFile: string },
  count: number,
  label: string,
  options: { concurrency?: number; mailFiles?: string[] } = {},
): Promise<Account[]> {
  const mailbox = new Mailbox(options.mailFiles ?? [server.mailFile]);
  const concurrency = options.concurrency ?? 8;
  const tag = randomBytes(3).toString('hex');
  const password = `Bench-${randomBytes(6).toString('hex')}-pw`;
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const email = `${label}-${tag}-${i}@bench.test`;
      await post(`${server.url}/api/v1/auth/signup`, { name: `${label} ${i}`, email, password });
      const code = await mailbox.code(email);
      await post(`${server.url}/api/v1/verify/email`, { email, code });
      return signIn(server.url, email, password);
    },
  );
}

/** Rate limits that let the bench create and sign in its users; everything else at defaults. */
export function benchRateLimits(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const lifted = { max: 1_000_000, windowSeconds: 60 };
  return {
    'signUp.ip': lifted,
    'verifyEmail.ip': lifted,
    'signIn.ip': lifted,
    'signIn.email': lifted,
    'signIn.emailIp': lifted,
    ...extra,
  };
}
