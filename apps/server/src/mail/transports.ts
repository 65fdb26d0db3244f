import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Resend } from 'resend';
import type { Env } from '../env.js';
import type { MailMessage } from './templates.js';

/** Delivers one message or throws; `id` is stable across retries (an idempotency key). */
export interface MailTransport {
  name: Env['MAIL_TRANSPORT'];
  send(message: MailMessage & { id: string }): Promise<void>;
}

export function createTransport(env: Env): MailTransport {
  switch (env.MAIL_TRANSPORT) {
    case 'resend':
      return resendTransport(env);
    case 'console':
      return consoleTransport();
    default:
      return fileTransport(env.MAIL_FILE);
  }
}

function resendTransport(env: Env): MailTransport {
  const resend = new Resend(env.RESEND_API_KEY ?? 're_missing', {
    ...(env.RESEND_BASE_URL ? { baseUrl: env.RESEND_BASE_URL.replace(/\/+$/, '') } : {}),
  });
  return {
    name: 'resend',
    async send(message) {
      const { error } = await resend.emails.send(
        {
          from: env.MAIL_FROM,
          to: message.to,
          subject: message.subject,
          text: message.payload.text,
          html: message.payload.html,
          tags: [{ name: 'kind', value: message.kind.replace(/[^\w-]/g, '_') }],
        },
        { idempotencyKey: `cryptweb-${message.id}` },
      );
      if (error) throw new Error(`Resend refused the message: ${error.name}: ${error.message}`);
    },
  };
}

/** Development transport: one JSON object per line, read by people, the CLI and tests. */
function fileTransport(file: string): MailTransport {
  return {
    name: 'file',
    async send(message) {
      await mkdir(path.dirname(path.resolve(file)), { recursive: true });
      const line = {
        to: message.to,
        subject: message.subject,
        text: message.payload.text,
        html: message.payload.html,
        kind: message.kind,
        ...(message.payload.code ? { code: message.payload.code } : {}),
        ...(message.payload.token ? { token: message.payload.token } : {}),
        sentAt: new Date().toISOString(),
      };
      await appendFile(file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    },
  };
}

/** Development transport: prints the message to stderr, outside the JSON log stream. */
function consoleTransport(): MailTransport {
  return {
    name: 'console',
    async send(message) {
      process.stderr.write(
        `\n--- mail to ${message.to}: ${message.subject} ---\n${message.payload.text}\n---\n`,
      );
    },
  };
}
