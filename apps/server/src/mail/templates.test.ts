import { describe, expect, it } from 'vitest';
import { passwordChangedMessage, resetPasswordMessage, verifyEmailMessage } from './templates.js';

const CODE = '493817';
const TOKEN = 'Zx9_kq-3vT0wPq8sLm2nB4cD6eF7gH1iJ5kL0mN9oP2';
const APP_URL = 'https://files.example.test/';

describe('mail templates (SPEC §6.1: subjects never contain a code)', () => {
  const messages = [
    verifyEmailMessage('ada@example.test', 'Ada', CODE, 900),
    resetPasswordMessage('ada@example.test', 'Ada', APP_URL, TOKEN, 3600),
    passwordChangedMessage('ada@example.test', 'Ada', 'changed'),
    passwordChangedMessage('ada@example.test', 'Ada', 'reset'),
  ];

  it.each(messages.map((message) => [message.kind, message] as const))(
    '%s: the subject carries no code, token or link',
    (_, message) => {
      expect(message.subject).toMatch(/CryptWeb/);
      expect(message.subject).not.toMatch(/\d{4,}/);
      for (const secret of [CODE, TOKEN, encodeURIComponent(TOKEN), 'token=', 'http']) {
        expect(message.subject).not.toContain(secret);
      }
    },
  );

  it('the secret travels in the body, where the recipient needs it', () => {
    const [verify, reset] = messages;
    expect(verify?.payload.text).toContain(CODE);
    expect(verify?.payload.code).toBe(CODE);
    expect(reset?.payload.text).toContain(
      `https://files.example.test/reset-password?token=${encodeURIComponent(TOKEN)}`,
    );
    expect(reset?.payload.token).toBe(TOKEN);
  });
});
