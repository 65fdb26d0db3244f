import { createHash } from 'node:crypto';
import { hash, verify } from '@node-rs/bcrypt';
import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * bcrypt reads only 72 bytes. Hashing the password with SHA-256 first (base64, so no NUL bytes)
 * makes every byte count: two passwords sharing their first 72 bytes hash differently.
 */
function prehash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('base64');
}

export function hashPassword(password: string, cost: number): Promise<string> {
  return hash(prehash(password), { cost });
}

export function verifyPassword(password: string, passwordHash: string): Promise<boolean> {
  return verify(prehash(password), passwordHash);
}

const dummyHashes = new Map<number, Promise<string>>();

/**
 * Spends one bcrypt compare against a throw-away hash of the same cost, so an unknown email takes
 * as long as a wrong password.
 */
export async function spendPasswordCheck(password: string, cost: number): Promise<false> {
  let dummy = dummyHashes.get(cost);
  if (!dummy) {
    dummy = hashPassword(`dummy-${cost}-${Math.random()}`, cost);
    dummyHashes.set(cost, dummy);
  }
  await verifyPassword(password, await dummy);
  return false;
}

let common: Set<string> | undefined;

/** True when the password is in the common-password dictionary (compared case-insensitively). */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common'].map((word) => word.toLowerCase()));
  return common.has(password.toLowerCase());
}
