import type { Endpoint } from '../load/messages.js';
import {
  type BenchContext,
  freshDatabase,
  makeAccounts,
  seconds,
  startLoadServer,
} from './context.js';
import { driveRelay, type RelayRun } from './relay-driver.js';

/** The rate the cross-instance latency target is stated at. */
export const SCALE_OUT_TARGET_RATE = 1000;

export interface ScaleOutResult extends RelayRun {
  pairs: number;
  skipped?: string;
}

/**
 * Scenario 3: two CryptWeb instances on one PostgreSQL database; every pair has one peer on each,
 * so every message crosses instances (LISTEN/NOTIFY). The step at 1,000 msgs/s always runs.
 */
export async function scaleOutScenario(ctx: BenchContext): Promise<ScaleOutResult> {
  const { pairs } = ctx.options;
  if (!ctx.postgresUrl) {
    return { pairs, steps: [], maxSustained: 0, skipped: 'needs PostgreSQL (--postgres-url)' };
  }
  const started = performance.now();
  ctx.log('scale-out: two CryptWeb instances on one PostgreSQL');
  const databaseUrl = await freshDatabase(ctx, 'scaleout', 'postgres');
  const first = await startLoadServer(ctx, 'scale-1', databaseUrl);
  try {
    const second = await startLoadServer(ctx, 'scale-2', databaseUrl);
    try {
      const accounts = await makeAccounts(ctx, first, pairs * 2, 'scale', [second]);
      const endpoint = (i: number, url: string): Endpoint => ({
        protocol: 'trpc',
        url,
        name: `peer${i}`,
        token: accounts[i]?.accessToken ?? '',
      });
      // --quick keeps its tiny rates; a real run always measures the target rate.
      const mustReach = ctx.options.quick ? 0 : SCALE_OUT_TARGET_RATE;
      const rates = [...new Set([...ctx.options.rates, mustReach])]
        .filter((rate) => rate > 0)
        .sort((a, b) => a - b);
      const run = await driveRelay(
        ctx,
        {
          label: 'scale-out',
          pair: (i) => ({ a: endpoint(2 * i, first.url), b: endpoint(2 * i + 1, second.url) }),
          serverPids: [first.child.pid, second.child.pid],
          watchPostgres: true,
        },
        rates,
        mustReach,
      );
      ctx.log(`  (${seconds(started)})`);
      return { pairs, ...run };
    } finally {
      await ctx.group.stop(second.child);
    }
  } finally {
    await ctx.group.stop(first.child);
  }
}
