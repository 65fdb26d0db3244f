import { readFileSync } from 'node:fs';
import type { Endpoint } from '../load/messages.js';
import { GeneratorPool } from '../load/pool.js';
import type { RelaySystem } from '../options.js';
import { mapLimit } from '../support/limit.js';
import { rssBytes, sleep } from '../support/procs.js';
import { signIn } from '../systems/accounts.js';
import { type RunningServer, startBaseline } from '../systems/servers.js';
import {
  type BenchContext,
  freshDatabase,
  makeAccounts,
  seconds,
  startLoadServer,
} from './context.js';
import { relaySystems, SYSTEM_NAMES } from './relay.js';

/** Connections one generator process holds (its own file descriptors stay well under the limit). */
const PER_GENERATOR = 2500;
/** Connection attempts in flight per generator. */
const CONNECT_CONCURRENCY = 100;
/**
 * SPEC §6.1 allows 5 open subscriptions per session and 20 per user: the idle sockets are spread
 * over one user per 20 and one session per 5, as that many real devices would be.
 */
const PEERS_PER_SESSION = 5;
const PEERS_PER_USER = 20;
const SETTLE_MS = 2000;

export interface CapacitySystemResult {
  system: RelaySystem;
  name: string;
  requested: number;
  opened: number;
  failed: number;
  /** Milliseconds from the first connection attempt until every connection was ready. */
  connectMs: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPerConnectionBytes: number;
  clientCpuMs: number;
  error?: string;
}

export interface CapacityResult {
  connections: number;
  fdLimit: string;
  fdNote?: string;
  systems: CapacitySystemResult[];
}

async function serverFor(ctx: BenchContext, system: RelaySystem) {
  if (system === 'cryptweb' || system === 'cryptweb-pglite') {
    const engine = system === 'cryptweb' && ctx.postgresUrl ? 'postgres' : 'pglite';
    const server = await startLoadServer(ctx, system, await freshDatabase(ctx, 'capacity', engine));
    try {
      const n = ctx.options.connections;
      const accounts = await makeAccounts(ctx, server, Math.ceil(n / PEERS_PER_USER), 'capacity');
      // The first session of each user came with its account; the others are further sign-ins.
      const sessions = Math.ceil(n / PEERS_PER_SESSION);
      const perUser = PEERS_PER_USER / PEERS_PER_SESSION;
      const tokens = await mapLimit(
        Array.from({ length: sessions }, (_, s) => s),
        8,
        async (s) => {
          const account = accounts[Math.floor(s / perUser)];
          if (!account) throw new Error(`no account for session ${s}`);
          if (s % perUser === 0) return account.accessToken;
          return (await signIn(server.url, account.email, account.password)).accessToken;
        },
      );
      const endpoint = (i: number): Endpoint => ({
        protocol: 'trpc',
        url: server.url,
        name: `idle${i}`,
        token: tokens[Math.floor(i / PEERS_PER_SESSION)] ?? '',
      });
      return { server, endpoint };
    } catch (error) {
      await ctx.group.stop(server.child);
      throw error;
    }
  }
  const server: RunningServer = await startBaseline(ctx.group, system);
  const endpoint = (i: number): Endpoint => ({
    protocol: system,
    url: server.url,
    name: system === 'socketio' ? `idle${i}@bench.test` : `idle${i}`,
  });
  return { server, endpoint };
}

async function measure(ctx: BenchContext, system: RelaySystem): Promise<CapacitySystemResult> {
  const n = ctx.options.connections;
  const base = { system, name: SYSTEM_NAMES[system], requested: n };
  const { server, endpoint } = await serverFor(ctx, system);
  const count = Math.max(1, Math.ceil(n / PER_GENERATOR));
  let pool: GeneratorPool | undefined;
  try {
    pool = await GeneratorPool.start(ctx.group, count, `capacity-${system}`);
    await sleep(ctx.options.quick ? 300 : SETTLE_MS);
    const rssBeforeBytes = rssBytes(server.child.pid);
    const started = performance.now();
    const replies = await pool.each(
      (g) => ({
        op: 'open-idle',
        endpoints: Array.from({ length: n }, (_, i) => i)
          .filter((i) => i % count === g)
          .map(endpoint),
        concurrency: CONNECT_CONCURRENCY,
        timeoutMs: 60_000,
      }),
      300_000,
    );
    const connectMs = performance.now() - started;
    await sleep(ctx.options.quick ? 300 : SETTLE_MS);
    const rssAfterBytes = rssBytes(server.child.pid);
    const opened = replies.reduce((sum, r) => sum + r.opened, 0);
    const failed = replies.reduce((sum, r) => sum + r.failed, 0);
    const firstError = replies.find((r) => r.firstError)?.firstError;
    ctx.log(
      `  ${system}: ${opened}/${n} open in ${(connectMs / 1000).toFixed(2)} s, RSS ${(rssBeforeBytes / 2 ** 20).toFixed(0)} → ${(rssAfterBytes / 2 ** 20).toFixed(0)} MiB${failed ? `, ${failed} failed (${firstError})` : ''}`,
    );
    return {
      ...base,
      opened,
      failed,
      connectMs,
      rssBeforeBytes,
      rssAfterBytes,
      rssPerConnectionBytes: opened > 0 ? (rssAfterBytes - rssBeforeBytes) / opened : Number.NaN,
      clientCpuMs: GeneratorPool.cpuMs(replies),
      ...(firstError ? { error: firstError } : {}),
    };
  } finally {
    // Killed outright: a graceful stop would spend its time saying goodbye to every peer.
    await ctx.group.stop(server.child, { graceful: false });
    await pool?.stop();
  }
}

/** Scenario 2: N idle authenticated subscriptions; server RSS per connection; time to connect. */
export async function capacityScenario(ctx: BenchContext): Promise<CapacityResult> {
  const result: CapacityResult = {
    connections: ctx.options.connections,
    fdLimit: fdLimit(),
    systems: [],
  };
  const soft = Number(result.fdLimit.split('/')[0]);
  if (Number.isFinite(soft) && ctx.options.connections + 500 > soft) {
    // Node cannot raise its own limit, and children inherit it: say so rather than fail quietly.
    result.fdNote = `open-files limit ${result.fdLimit} is below ${ctx.options.connections} connections plus headroom; raise it (ulimit -n) before the run`;
    ctx.log(`  warning: ${result.fdNote}`);
  }
  for (const system of relaySystems(ctx).filter((s) => s !== 'cryptweb-pglite')) {
    const started = performance.now();
    ctx.log(`capacity: ${SYSTEM_NAMES[system]}, ${ctx.options.connections} connections`);
    try {
      result.systems.push(await measure(ctx, system));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      ctx.log(`  ${system} failed: ${message}`);
      result.systems.push({
        system,
        name: SYSTEM_NAMES[system],
        requested: ctx.options.connections,
        opened: 0,
        failed: ctx.options.connections,
        connectMs: Number.NaN,
        rssBeforeBytes: 0,
        rssAfterBytes: 0,
        rssPerConnectionBytes: Number.NaN,
        clientCpuMs: 0,
        error: message,
      });
    }
    ctx.log(`  (${seconds(started)})`);
  }
  return result;
}

/** The open-files limit the servers inherit ("soft/hard"), from /proc/self/limits. */
function fdLimit(): string {
  try {
    const match = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(
      readFileSync('/proc/self/limits', 'utf8'),
    );
    return match ? `${match[1]}/${match[2]}` : 'unknown';
  } catch {
    return 'unknown';
  }
}
