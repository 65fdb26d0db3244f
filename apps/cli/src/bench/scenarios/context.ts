import { cpSync } from 'node:fs';
import path from 'node:path';
import type { BenchOptions } from '../options.js';
import { createDatabase } from '../support/postgres.js';
import type { ProcessGroup } from '../support/procs.js';
import { type Account, benchRateLimits, createAccounts } from '../systems/accounts.js';
import { type CryptwebServer, startCryptweb, tempDir } from '../systems/servers.js';

/** What every scenario gets from the runner. */
export interface BenchContext {
  options: BenchOptions;
  group: ProcessGroup;
  log(line: string): void;
  /** Shared by every CryptWeb instance and the ceiling server of this run. */
  jwtSecret: string;
  /** Reachable PostgreSQL admin URL, or null (PGlite only). */
  postgresUrl: string | null;
  /** Registers work for the end of the run (dropping databases), run even on failure. */
  defer(task: () => Promise<void>): void;
}

/** A database URL for one part of the run: a fresh PostgreSQL database, or undefined (PGlite). */
export async function freshDatabase(
  ctx: BenchContext,
  label: string,
  engine: 'postgres' | 'pglite',
): Promise<string | undefined> {
  if (engine === 'pglite' || !ctx.postgresUrl) return undefined;
  const db = await createDatabase(ctx.postgresUrl, label);
  ctx.defer(() => db.drop());
  return db.url;
}

export const PEER_LIMIT = { perSecond: 1_000_000, burst: 1_000_000 };

const pgliteTemplates = new WeakMap<BenchContext, Promise<string>>();

/**
 * A fresh, migrated PGlite data directory: a copy of one made once per run. Creating a PGlite
 * database takes seconds (initdb in WebAssembly); start-up time is measured on its own.
 */
async function freshPgliteDir(ctx: BenchContext): Promise<string> {
  let template = pgliteTemplates.get(ctx);
  if (!template) {
    template = (async () => {
      const dir = tempDir('pglite-template');
      const server = await startCryptweb(ctx.group, {
        label: 'pglite-template',
        dataDir: dir,
        jwtSecret: ctx.jwtSecret,
        bcryptCost: 4,
        rateLimits: {},
      });
      // A clean stop, so that the copies open a database that was closed properly.
      await ctx.group.stop(server.child, { graceMs: 15_000 });
      return dir;
    })();
    pgliteTemplates.set(ctx, template);
  }
  const copy = tempDir('pglite');
  cpSync(await template, copy, { recursive: true });
  return copy;
}

/** A CryptWeb server for load: bench rate limits, the signaling per-peer limit lifted. */
export async function startLoadServer(
  ctx: BenchContext,
  label: string,
  databaseUrl: string | undefined,
  bcryptCost = 4,
): Promise<CryptwebServer> {
  return startCryptweb(ctx.group, {
    label,
    databaseUrl,
    ...(databaseUrl ? {} : { dataDir: await freshPgliteDir(ctx) }),
    jwtSecret: ctx.jwtSecret,
    bcryptCost,
    rateLimits: benchRateLimits({ 'signaling.peer': PEER_LIMIT }),
    ...(ctx.options.profileDir
      ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${path.join(ctx.options.profileDir, label)}`] }
      : {}),
  });
}

export async function makeAccounts(
  ctx: BenchContext,
  server: CryptwebServer,
  count: number,
  label: string,
  /** Every instance on the same database: any of them may send the mail. */
  siblings: CryptwebServer[] = [],
): Promise<Account[]> {
  const started = performance.now();
  const mailFiles = [server, ...siblings].map((s) => s.mailFile);
  const accounts = await createAccounts(server, count, label, { mailFiles });
  ctx.log(`  ${count} accounts signed up, verified and signed in (${seconds(started)})`);
  return accounts;
}

export const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
