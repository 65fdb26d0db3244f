import { fileURLToPath } from 'node:url';
import type { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { DatabaseHandle } from './client.js';

/** The committed drizzle-kit output at the repository root (same depth from src/ and dist/). */
export const migrationsFolder = fileURLToPath(new URL('../../../../drizzle', import.meta.url));

/** Arbitrary constant shared by every CryptWeb instance: "cryptweb" as ASCII. */
const MIGRATION_LOCK_KEY = 0x637279707477;

/**
 * Applies pending migrations. On PostgreSQL, a session-level advisory lock on a dedicated
 * connection serialises instances that start at the same moment: the second waits, then finds
 * nothing left to do.
 */
export async function migrateDatabase(handle: DatabaseHandle, databaseUrl?: string): Promise<void> {
  if (handle.driver === 'pglite' || !databaseUrl) {
    await migratePglite(handle.db as unknown as ReturnType<typeof drizzlePglite>, {
      migrationsFolder,
    });
    return;
  }
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migratePostgres(drizzlePostgres(client), { migrationsFolder });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}
