import { rssBytes, sleep } from '../support/procs.js';
import { benchRateLimits } from '../systems/accounts.js';
import { startBaseline, startCryptweb, tempDir } from '../systems/servers.js';
import { type BenchContext, freshDatabase } from './context.js';

/** Idle RSS is read this long after "ready", once start-up garbage has had a chance to go. */
const IDLE_AFTER_MS = 1000;

export interface StartupRun {
  /** Fresh database: migrations run. */
  coldMs: number;
  /** Second start on the migrated database. */
  warmMs: number;
  idleRssBytes: number;
}

export interface StartupResult {
  postgres?: StartupRun;
  postgresSkipped?: string;
  pglite?: StartupRun;
  /** The raw ws relay: a Node process with a ws server, nothing else. */
  baseline?: { readyMs: number; idleRssBytes: number };
  error?: string;
}

async function startTwice(ctx: BenchContext, engine: 'postgres' | 'pglite'): Promise<StartupRun> {
  const databaseUrl = await freshDatabase(ctx, 'startup', engine);
  const dataDir = tempDir(`startup-${engine}`);
  const start = () =>
    startCryptweb(ctx.group, {
      label: `startup-${engine}`,
      databaseUrl,
      dataDir,
      jwtSecret: ctx.jwtSecret,
      bcryptCost: 4,
      rateLimits: benchRateLimits(),
    });
  const cold = await start();
  await sleep(IDLE_AFTER_MS);
  const idleRssBytes = rssBytes(cold.child.pid);
  await ctx.group.stop(cold.child);
  const warm = await start();
  await ctx.group.stop(warm.child);
  const run = { coldMs: cold.readyMs, warmMs: warm.readyMs, idleRssBytes };
  ctx.log(
    `  ${engine}: ready in ${run.coldMs.toFixed(0)} ms (fresh), ${run.warmMs.toFixed(0)} ms (restart); idle RSS ${(idleRssBytes / 2 ** 20).toFixed(1)} MiB`,
  );
  return run;
}

/** Scenario 5: time to ready on PostgreSQL and PGlite (fresh and migrated), idle RSS. */
export async function startupScenario(ctx: BenchContext): Promise<StartupResult> {
  ctx.log('start-up');
  const result: StartupResult = {};
  try {
    const baseline = await startBaseline(ctx.group, 'ws');
    await sleep(IDLE_AFTER_MS);
    result.baseline = { readyMs: baseline.readyMs, idleRssBytes: rssBytes(baseline.child.pid) };
    await ctx.group.stop(baseline.child);
    ctx.log(
      `  raw ws relay: ready in ${baseline.readyMs.toFixed(0)} ms; idle RSS ${(result.baseline.idleRssBytes / 2 ** 20).toFixed(1)} MiB`,
    );
    if (ctx.postgresUrl) result.postgres = await startTwice(ctx, 'postgres');
    else result.postgresSkipped = 'needs PostgreSQL (--postgres-url)';
    result.pglite = await startTwice(ctx, 'pglite');
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    ctx.log(`  start-up failed: ${result.error}`);
  }
  return result;
}
