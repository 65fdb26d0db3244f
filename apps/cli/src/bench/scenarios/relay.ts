import type { RelaySystem } from '../options.js';
import { startBaseline } from '../systems/servers.js';
import {
  type BenchContext,
  freshDatabase,
  makeAccounts,
  seconds,
  startLoadServer,
} from './context.js';
import { RelayDriver, type RelayRun, type RelayTarget } from './relay-driver.js';

export interface RelaySystemResult extends RelayRun {
  system: RelaySystem;
  /** Human name for the table. */
  name: string;
}

export interface RelayResult {
  pairs: number;
  systems: RelaySystemResult[];
}

export const SYSTEM_NAMES: Record<RelaySystem, string> = {
  cryptweb: 'CryptWeb',
  'cryptweb-pglite': 'CryptWeb (PGlite)',
  ws: 'raw ws relay',
  peerjs: 'PeerJS server',
  socketio: 'Socket.IO relay',
};

/** Which systems run: the PGlite variant only when the main CryptWeb runs on PostgreSQL. */
export function relaySystems(ctx: BenchContext): RelaySystem[] {
  return ctx.options.systems.filter((s) => s !== 'cryptweb-pglite' || ctx.postgresUrl !== null);
}

async function targetFor(
  ctx: BenchContext,
  system: RelaySystem,
): Promise<RelayTarget & { stop(): Promise<void> }> {
  const { pairs } = ctx.options;
  if (system === 'cryptweb' || system === 'cryptweb-pglite') {
    const engine = system === 'cryptweb' && ctx.postgresUrl ? 'postgres' : 'pglite';
    const server = await startLoadServer(ctx, system, await freshDatabase(ctx, 'relay', engine));
    const accounts = await makeAccounts(ctx, server, pairs * 2, 'relay').catch(
      async (error: unknown) => {
        await ctx.group.stop(server.child);
        throw error;
      },
    );
    const endpoint = (i: number) => ({
      protocol: 'trpc' as const,
      url: server.url,
      name: `peer${i}`,
      token: accounts[i]?.accessToken ?? '',
    });
    return {
      label: system,
      pair: (i) => ({ a: endpoint(2 * i), b: endpoint(2 * i + 1) }),
      serverPids: [server.child.pid],
      watchPostgres: engine === 'postgres',
      stop: () => ctx.group.stop(server.child),
    };
  }
  const server = await startBaseline(ctx.group, system);
  const protocol = system;
  const name = (i: number) => (system === 'socketio' ? `user${i}@bench.test` : `peer${i}`);
  return {
    label: system,
    pair: (i) => ({
      a: { protocol, url: server.url, name: name(2 * i) },
      b: { protocol, url: server.url, name: name(2 * i + 1) },
    }),
    serverPids: [server.child.pid],
    watchPostgres: false,
    stop: () => ctx.group.stop(server.child),
  };
}

/**
 * Scenario 1: P pairs at stepped offered rates against every system. All systems are up at once
 * (idle ones cost nothing) and take turns at each rate, so a noisy moment on a shared machine
 * does not fall on one system only; a system leaves the rotation at its first unsustained rate.
 */
export async function relayScenario(ctx: BenchContext): Promise<RelayResult> {
  const started = performance.now();
  const { rates } = ctx.options;
  const systems = relaySystems(ctx);
  const open: { system: RelaySystem; target?: RelayTarget & { stop(): Promise<void> } }[] = [];
  const drivers = new Map<RelaySystem, RelayDriver>();
  const failures = new Map<RelaySystem, string>();
  try {
    for (const system of systems) {
      ctx.log(`relay: starting ${SYSTEM_NAMES[system]}`);
      const entry: (typeof open)[number] = { system };
      open.push(entry);
      try {
        entry.target = await targetFor(ctx, system);
        drivers.set(system, await RelayDriver.open(ctx, entry.target, rates[0] ?? 100));
      } catch (error) {
        failures.set(system, error instanceof Error ? error.message : String(error));
        ctx.log(`  ${system} failed: ${failures.get(system)}`);
      }
    }
    for (const rate of rates) {
      const turn = [...drivers.values()].filter((d) => !d.done);
      if (turn.length === 0) break;
      ctx.log(`relay: ${rate.toLocaleString('en-US')} msgs/s`);
      for (const driver of turn) await driver.measure(rate);
    }
    for (const driver of drivers.values()) await driver.stepDown(rates[0] ?? 0);
  } finally {
    for (const driver of drivers.values()) await driver.close();
    for (const entry of open) await entry.target?.stop();
  }
  ctx.log(`  (relay: ${seconds(started)})`);
  return {
    pairs: ctx.options.pairs,
    systems: systems.map((system) => {
      const run = drivers.get(system)?.run;
      const error = failures.get(system);
      return {
        system,
        name: SYSTEM_NAMES[system],
        steps: run?.steps ?? [],
        maxSustained: run?.maxSustained ?? 0,
        ...(run?.error || error ? { error: run?.error ?? error } : {}),
      };
    }),
  };
}
