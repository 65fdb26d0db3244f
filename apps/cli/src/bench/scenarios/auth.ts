import type { HttpCall, HttpResult } from '../load/messages.js';
import { GeneratorPool } from '../load/pool.js';
import { mapLimit } from '../support/limit.js';
import { cpuSeconds, cpuSecondsOf, sleep } from '../support/procs.js';
import { mergeHistograms } from '../support/stats.js';
import { type Account, signIn } from '../systems/accounts.js';
import { startBaseline } from '../systems/servers.js';
import {
  type BenchContext,
  freshDatabase,
  makeAccounts,
  seconds,
  startLoadServer,
} from './context.js';

/** bcrypt runs on libuv's 4 worker threads: 4 sign-ins in flight keep them all busy. */
const SIGN_IN_CONCURRENCY = 4;
/** At cost 12 a sign-in takes ~0.25 s of a core: measure long enough for a steady count. */
const SLOW_MEASURE_MS = 10_000;

export interface Throughput {
  perSec: number;
  ok: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  serverCores: number;
  dbCores?: number;
  clientCores: number;
  firstError?: string;
}

export interface AuthResult {
  bcryptCost: number;
  engine: 'postgres' | 'pglite';
  signIn?: Throughput;
  bcryptVerifyPerSec?: number;
  bcryptHashPerSec?: number;
  me?: Throughput;
  meRest?: Throughput;
  refresh?: Throughput;
  /** node:http + jose + one row by primary key, on the same database. */
  ceiling?: Throughput;
  ceilingSkipped?: string;
  error?: string;
}

async function load(
  ctx: BenchContext,
  pool: GeneratorPool,
  baseUrl: string,
  calls: HttpCall[],
  serverPid: number,
  watchPostgres: boolean,
  durationMs = ctx.options.durationMs,
): Promise<Throughput> {
  const count = pool.generators.length;
  const startAt = Date.now() + 200;
  const cpu0 = cpuSeconds(serverPid);
  const db0 = watchPostgres ? cpuSecondsOf('postgres') : 0;
  const replies: HttpResult[] = await pool.each(
    (g) => ({
      op: 'http',
      baseUrl,
      calls: calls.filter((_, i) => i % count === g),
      durationMs,
      startAt,
    }),
    durationMs + 120_000,
  );
  const elapsedSec = Math.max(...replies.map((r) => r.elapsedMs)) / 1000;
  const latency = mergeHistograms(replies.map((r) => r.latency));
  const ok = replies.reduce((sum, r) => sum + r.ok, 0);
  const firstError = replies.find((r) => r.firstError)?.firstError;
  return {
    perSec: ok / elapsedSec,
    ok,
    failed: replies.reduce((sum, r) => sum + r.failed, 0),
    p50Ms: latency.quantile(0.5),
    p99Ms: latency.quantile(0.99),
    serverCores: (cpuSeconds(serverPid) - cpu0) / elapsedSec,
    ...(watchPostgres ? { dbCores: (cpuSecondsOf('postgres') - db0) / elapsedSec } : {}),
    clientCores: GeneratorPool.cpuMs(replies) / 1000 / elapsedSec,
    ...(firstError ? { firstError } : {}),
  };
}

const show = (name: string, t: Throughput) =>
  `  ${name}: ${t.perSec.toFixed(1)} req/s, p50 ${t.p50Ms.toFixed(2)} ms, p99 ${t.p99Ms.toFixed(2)} ms, cores srv ${t.serverCores.toFixed(2)}${t.dbCores === undefined ? '' : ` db ${t.dbCores.toFixed(2)}`} cli ${t.clientCores.toFixed(2)}${t.failed ? `, ${t.failed} failed (${t.firstError})` : ''}`;

/**
 * Scenario 4: auth.signIn at the configured bcrypt cost next to raw bcrypt on the same cores;
 * auth.me and auth.refresh next to the least a server can do (verify a JWT, read one row).
 */
export async function authScenario(ctx: BenchContext): Promise<AuthResult> {
  const { bcryptCost, concurrency, durationMs, quick } = ctx.options;
  const slowMs = quick ? durationMs : Math.max(durationMs, SLOW_MEASURE_MS);
  const engine = ctx.postgresUrl ? 'postgres' : 'pglite';
  const result: AuthResult = { bcryptCost, engine };
  const started = performance.now();
  ctx.log(`auth: bcrypt cost ${bcryptCost}, ${concurrency} requests in flight, ${engine}`);
  const pool = await GeneratorPool.start(ctx.group, ctx.options.generators, 'auth');
  try {
    const databaseUrl = await freshDatabase(ctx, 'auth', engine);
    const watch = engine === 'postgres';
    const server = await startLoadServer(ctx, 'auth', databaseUrl, bcryptCost);
    let users: Account[];
    try {
      users = await makeAccounts(ctx, server, concurrency, 'auth');
      const pid = server.child.pid;
      const signInCalls: HttpCall[] = users
        .slice(0, SIGN_IN_CONCURRENCY)
        .map((u) => ({ kind: 'sign-in', email: u.email, password: u.password }));
      result.signIn = await load(ctx, pool, server.url, signInCalls, pid, watch, slowMs);
      ctx.log(show('auth.signIn', result.signIn));
      const bearer = (path: string) => bearerCalls(users, path);
      result.me = await load(ctx, pool, server.url, bearer('/trpc/auth.me'), pid, watch);
      ctx.log(show('auth.me (tRPC)', result.me));
      result.meRest = await load(ctx, pool, server.url, bearer('/api/v1/auth/me'), pid, watch);
      ctx.log(show('auth.me (REST)', result.meRest));
      // Fresh sessions, one per virtual user: each chains its own rotated refresh tokens.
      const sessions = await mapLimit(users, SIGN_IN_CONCURRENCY, (u) =>
        signIn(server.url, u.email, u.password),
      );
      const refreshCalls: HttpCall[] = sessions.map((s) => ({
        kind: 'refresh',
        refreshToken: s.refreshToken,
      }));
      result.refresh = await load(ctx, pool, server.url, refreshCalls, pid, watch);
      ctx.log(show('auth.refresh', result.refresh));
    } finally {
      await ctx.group.stop(server.child);
    }
    if (databaseUrl) {
      // The same tokens against the same database, with CryptWeb stopped.
      const ceiling = await startBaseline(ctx.group, 'ceiling', {
        BENCH_DATABASE_URL: databaseUrl,
        BENCH_JWT_SECRET: ctx.jwtSecret,
      });
      try {
        const calls = bearerCalls(users, '/me');
        result.ceiling = await load(ctx, pool, ceiling.url, calls, ceiling.child.pid, watch);
        ctx.log(show('ceiling (jose + one row)', result.ceiling));
      } finally {
        await ctx.group.stop(ceiling.child);
      }
    } else {
      result.ceilingSkipped = 'needs PostgreSQL: the ceiling server reads the same database';
    }
    await sleep(200);
    // Raw bcrypt in a process of its own, with the same threads and the same cores to itself.
    const rate = async (mode: 'hash' | 'verify') => {
      const generator = pool.generators[0];
      if (!generator) return 0;
      const cost = bcryptCost;
      const r = await generator.call({
        op: 'bcrypt',
        mode,
        cost,
        concurrency: SIGN_IN_CONCURRENCY,
        durationMs: slowMs,
      });
      return r.operations / (r.elapsedMs / 1000);
    };
    result.bcryptVerifyPerSec = await rate('verify');
    result.bcryptHashPerSec = await rate('hash');
    ctx.log(
      `  raw @node-rs/bcrypt cost ${bcryptCost}: verify ${result.bcryptVerifyPerSec.toFixed(1)}/s, hash ${result.bcryptHashPerSec.toFixed(1)}/s`,
    );
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    ctx.log(`  auth failed: ${result.error}`);
  } finally {
    await pool.stop();
  }
  ctx.log(`  (${seconds(started)})`);
  return result;
}

function bearerCalls(users: Account[], path: string): HttpCall[] {
  return users.map((u) => ({ kind: 'get', path, token: u.accessToken }));
}
