import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** One query API for both drivers: services never know which one runs. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Driver = 'pglite' | 'postgres';

export interface DatabaseHandle {
  db: Database;
  driver: Driver;
  /** The raw postgres.js client (absent on PGlite): the bus listens on its own connection. */
  postgres?: postgres.Sql;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const client = postgres(options.databaseUrl, {
      max: 10,
      // Fail fast while the database is unreachable so callers get SERVICE_UNAVAILABLE quickly.
      connect_timeout: 5,
      idle_timeout: 30,
      onnotice: () => {},
      connection: { application_name: 'cryptweb' },
    });
    return {
      db: drizzlePostgres(client, { schema }) as unknown as Database,
      driver: 'postgres',
      postgres: client,
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dir = path.resolve(options.dataDir, 'pglite');
  await mkdir(dir, { recursive: true });
  const client = await PGlite.create(dir);
  return {
    db: drizzlePglite(client, { schema }) as unknown as Database,
    driver: 'pglite',
    close: () => client.close(),
  };
}

/** Round-trips one query; throws when the database does not answer within `timeoutMs`. */
export async function pingDatabase(db: Database, timeoutMs = 3000): Promise<number> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('database ping timed out'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
  });
  try {
    await Promise.race([db.execute(sql`select 1`), timeout]);
    return Math.round((performance.now() - started) * 100) / 100;
  } finally {
    clearTimeout(timer);
  }
}
