import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/** Set to run the suite against a PostgreSQL server instead of embedded PGlite. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const onPostgres = TEST_DATABASE_URL !== undefined;

export interface TestDatabase {
  /** Connection string of a database made for this test file. */
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the TEST_DATABASE_URL server; `drop()` removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `cryptweb_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = postgres(TEST_DATABASE_URL as string, { max: 1, onnotice: () => {} });
      try {
        await client.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
