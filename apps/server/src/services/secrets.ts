import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Env } from '../env.js';

/** Keys derived from JWT_SECRET: one signs access tokens, one keys the HMACs of codes at rest. */
export interface Keys {
  jwt: Uint8Array;
  hmac: Buffer;
}

/**
 * JWT_SECRET, or in development a secret generated once and kept in DATA_DIR, so tokens survive
 * restarts without any setup.
 */
export async function loadKeys(env: Env): Promise<Keys> {
  let secret = env.JWT_SECRET;
  if (!secret) {
    const file = path.resolve(env.DATA_DIR, 'jwt-secret');
    if (existsSync(file)) {
      secret = (await readFile(file, 'utf8')).trim();
    } else {
      secret = randomBytes(48).toString('base64url');
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(async () => {
        // Another process wrote it first: use theirs.
        secret = (await readFile(file, 'utf8')).trim();
      });
    }
  }
  return {
    jwt: new TextEncoder().encode(secret),
    hmac: createHmac('sha256', secret).update('cryptweb:hmac-key').digest(),
  };
}

/** A random opaque token: `bytes` from the CSPRNG, base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Six digits from the CSPRNG, zero-padded. */
export function randomCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/** How long-lived random tokens are stored: their SHA-256 (they carry enough entropy on their own). */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** How short secrets (6-digit codes) are stored: keyed, so a database dump alone cannot brute-force them. */
export function hmac(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

/**
 * What limits and counters key an email by: keyed, so the rate-limit table alone gives no list of
 * addresses to a dictionary (an email has far too little entropy for a plain hash).
 */
export function emailKey(keys: Pick<Keys, 'hmac'>, email: string): string {
  return hmac(keys.hmac, `email:${email}`);
}

/** Constant-time comparison of two hashes. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
