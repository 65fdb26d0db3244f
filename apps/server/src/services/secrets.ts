import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Env } from '../env.js';

/**
 * Keys derived from JWT_SECRET (one signs access tokens, one keys the HMACs of codes at rest), and
 * DATA_ENCRYPTION_KEY, which encrypts TOTP secrets (SPEC §9).
 */
export interface Keys {
  jwt: Uint8Array;
  hmac: Buffer;
  /** 32 bytes for AES-256-GCM. */
  data: Buffer;
}

/** A secret generated once into DATA_DIR (development), so it survives restarts without setup. */
async function devSecret(env: Env, name: string, make: () => string): Promise<string> {
  const file = path.resolve(env.DATA_DIR, name);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  let secret = make();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(async () => {
    // Another process wrote it first: use theirs.
    secret = (await readFile(file, 'utf8')).trim();
  });
  return secret;
}

/** JWT_SECRET and DATA_ENCRYPTION_KEY, or in development secrets generated once into DATA_DIR. */
export async function loadKeys(env: Env): Promise<Keys> {
  const secret =
    env.JWT_SECRET ??
    (await devSecret(env, 'jwt-secret', () => randomBytes(48).toString('base64url')));
  const dataKey =
    env.DATA_ENCRYPTION_KEY ??
    (await devSecret(env, 'data-encryption-key', () => randomBytes(32).toString('base64')));
  const data = Buffer.from(dataKey, 'base64');
  if (data.length !== 32)
    throw new Error(`${path.resolve(env.DATA_DIR, 'data-encryption-key')} is not 32 bytes`);
  return {
    jwt: new TextEncoder().encode(secret),
    hmac: createHmac('sha256', secret).update('cryptweb:hmac-key').digest(),
    data,
  };
}

const CIPHER = 'aes-256-gcm';
const VERSION = 'v1';

/**
 * Encrypts a small secret at rest with AES-256-GCM; `context` (e.g. the owner's id) is bound as
 * associated data, so a ciphertext copied onto another row does not decrypt.
 */
export function encryptSecret(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv(CIPHER, key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), body]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** The inverse of `encryptSecret`; throws on a wrong key, a wrong context or any tampering. */
export function decryptSecret(key: Buffer, sealed: string, context: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || body === undefined)
    throw new Error('not a sealed secret');
  const decipher = createDecipheriv(CIPHER, key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([
    decipher.update(Buffer.from(body, 'base64url')),
    decipher.final(),
  ]).toString('utf8');
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
