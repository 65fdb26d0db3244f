import { describe, expect, it } from 'vitest';
import { storableError } from './outbox.js';
import { resetPasswordMessage, verifyEmailMessage } from './templates.js';

const CODE = '493817';
const TOKEN = 'Zx9_kq-3vT0wPq8sLm2nB4cD6eF7gH1iJ5kL0mN9oP2';
const APP_URL = 'https://files.example.test/';

describe('the outbox row keeps no secret (SPEC §6.1)', () => {
  const messages = [
    verifyEmailMessage('ada@example.test', 'Ada', CODE, 900),
    resetPasswordMessage('ada@example.test', 'Ada', APP_URL, TOKEN, 3600),
  ];

  it('a provider error echoing the message is stored without its code or token', () => {
    const [verify, reset] = messages;
    const stored = storableError(
      new Error(`rejected: "Your code is ${CODE}"`),
      verify?.payload ?? null,
    );
    expect(stored).not.toContain(CODE);
    expect(stored).toContain('[redacted]');
    const link = `${APP_URL}reset-password?token=${encodeURIComponent(TOKEN)}`;
    const storedReset = storableError(`bad body ${link} ${TOKEN}`, reset?.payload ?? null);
    expect(storedReset).not.toContain(TOKEN);
    expect(storedReset).not.toContain(encodeURIComponent(TOKEN));
    expect(storableError(new Error('x'.repeat(2000)), null)).toHaveLength(500);
  });
});
