import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret } from './secrets.js';

// SPEC §9: TOTP secrets sealed with AES-256-GCM, the owner's id as associated data.
describe('encryptSecret', () => {
  const key = randomBytes(32);

  it('round-trips, with a fresh IV each time', () => {
    const a = encryptSecret(key, 'JBSWY3DPEHPK3PXP', 'user-1');
    const b = encryptSecret(key, 'JBSWY3DPEHPK3PXP', 'user-1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('JBSWY3DPEHPK3PXP');
    expect(decryptSecret(key, a, 'user-1')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses another owner, another key and any tampering', () => {
    const sealed = encryptSecret(key, 'JBSWY3DPEHPK3PXP', 'user-1');
    expect(() => decryptSecret(key, sealed, 'user-2')).toThrow();
    expect(() => decryptSecret(randomBytes(32), sealed, 'user-1')).toThrow();
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => decryptSecret(key, parts.join('.'), 'user-1')).toThrow();
  });
});
