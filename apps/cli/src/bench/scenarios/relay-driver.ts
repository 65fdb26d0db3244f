import type { Endpoint } from '../load/messages.js';
import { GeneratorPool } from '../load/pool.js';
import { cpuSeconds, cpuSecondsOf, sleep } from '../support/procs.js';
import { mergeHistograms } from '../support/stats.js';
import type { BenchContext } from './context.js';

const WARMUP_MS = 1500;
/** Marker step of the warm-up (real steps count from 0). */
const WARMUP_STEP = 1_000_000;
/** A step counts as sustained when nothing is lost and p99 stays under this. */
export const P99_LIMIT_MS = 50;
/** Below this share of the offered rate actually sent, the load generators were the bottleneck. */
const OFFERED_SHARE = 0.97;

export interface RelayStep {
  /** Offered rate, msgs/s. */
  rate: number;
  /** What the generators managed to send, msgs/s. */
  sentPerSec: number;
  deliveredPerSec: number;
  sent: number;
  received: number;
  rejected: number;
  undelivered: number;
  lossPct: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU cores busy in the system's server process(es) during the step. */
  serverCores: number;
  /** Server CPU microseconds per delivered message. */
  serverUsPerMsg: number;
  /** CPU cores busy in all PostgreSQL processes (CryptWeb on PostgreSQL only). */
  dbCores?: number;
  /** CPU cores busy in the load generators. */
  clientCores: number;
  sustained: boolean;
  /** 2 when the step is the rerun of a failed one. */
  attempt: number;
  /** The generators could not send the offered rate: a client-bound step. */
  clientBound: boolean;
  firstError?: string;
}

export interface RelayRun {
  steps: RelayStep[];
  /** Highest offered rate sustained (p99 < 50 ms, no loss); 0 when none was. */
  maxSustained: number;
  error?: string;
}

export interface RelayTarget {
  label: string;
  /** Endpoints of pair `i`. */
  pair(i: number): { a: Endpoint; b: Endpoint };
  serverPids: number[];
  watchPostgres: boolean;
}

/**
 * One system under relay load: its pairs opened across its own load generators, ready to run
 * steps. Several drivers can be open at once, so that systems take turns at each rate and the
 * machine's noise falls on all of them alike.
 */
export class RelayDriver {
  readonly run: RelayRun = { steps: [], maxSustained: 0 };
  /** Set once a rate was not sustained (or the driver failed): no higher rate is tried. */
  done = false;
  private index = 0;

  private constructor(
    private readonly ctx: BenchContext,
    readonly target: RelayTarget,
    private readonly pool: GeneratorPool,
    private readonly shares: number[],
  ) {}

  /** Starts the generators, opens every pair, and warms the system up at `warmupRate`. */
  static async open(ctx: BenchContext, target: RelayTarget, warmupRate: number) {
    const { options } = ctx;
    const generators = Math.min(options.generators, options.pairs);
    const pool = await GeneratorPool.start(ctx.group, generators, target.label);
    try {
      const shares = Array.from({ length: generators }, () => 0);
      const pairs = Array.from({ length: generators }, () => [] as { a: Endpoint; b: Endpoint }[]);
      for (let i = 0; i < options.pairs; i += 1) {
        pairs[i % generators]?.push(target.pair(i));
        shares[i % generators] = (shares[i % generators] ?? 0) + 1 / options.pairs;
      }
      await pool.each((g) => ({ op: 'open-pairs', pairs: pairs[g] ?? [], timeoutMs: 20_000 }));
      await sleep(300);
      // Warm-up, not recorded: a fresh process runs cold code at first.
      const warmup = { ...options, durationMs: options.quick ? 200 : WARMUP_MS, drainMs: 500 };
      await relayStep({ ...ctx, options: warmup }, pool, target, WARMUP_STEP, warmupRate, shares);
      return new RelayDriver(ctx, target, pool, shares);
    } catch (error) {
      await pool.stop();
      throw error;
    }
  }

  /**
   * Runs one rate; a step that fails is run once more (on a shared machine one bad moment is not
   * a limit). True when sustained; otherwise the driver is done.
   */
  async measure(rate: number): Promise<boolean> {
    const { options } = this.ctx;
    // After a failed step the system gets time to drain its backlog (less in --quick).
    const pause = options.quick ? 300 : options.drainMs;
    let step: RelayStep | undefined;
    try {
      for (let attempt = 1; attempt <= 2 && !step?.sustained; attempt += 1) {
        if (attempt > 1) await sleep(pause);
        const measured = await relayStep(
          this.ctx,
          this.pool,
          this.target,
          this.index,
          rate,
          this.shares,
        );
        step = { ...measured, attempt };
        this.index += 1;
        this.run.steps.push(step);
        this.ctx.log(describe(this.target.label, step));
      }
    } catch (error) {
      this.fail(error);
      return false;
    }
    await sleep(step?.sustained ? 200 : pause);
    if (step?.sustained) this.run.maxSustained = Math.max(this.run.maxSustained, rate);
    else this.done = true;
    return step?.sustained === true;
  }

  /** Not even the lowest rate held: step down (at most three halvings) for a figure at all. */
  async stepDown(lowest: number): Promise<void> {
    if (this.ctx.options.quick || this.run.error) return;
    for (let rate = lowest / 2; this.run.maxSustained === 0 && rate >= lowest / 8; rate /= 2) {
      await this.measure(Math.round(rate));
    }
  }

  fail(error: unknown): void {
    this.run.error = error instanceof Error ? error.message : String(error);
    this.done = true;
    this.ctx.log(`  ${this.target.label} failed: ${this.run.error}`);
  }

  close(): Promise<void> {
    return this.pool.stop();
  }
}

/**
 * One system alone: steps the offered rate up until a rate is not sustained (every step bounded
 * by duration + drain). Rates at or below `mustReach` always run.
 */
export async function driveRelay(
  ctx: BenchContext,
  target: RelayTarget,
  rates: number[],
  mustReach = 0,
): Promise<RelayRun> {
  let driver: RelayDriver | undefined;
  try {
    driver = await RelayDriver.open(ctx, target, rates[0] ?? 100);
    for (const rate of rates) {
      if (!(await driver.measure(rate)) && rate >= mustReach) break;
    }
    await driver.stepDown(rates[0] ?? 0);
    return driver.run;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.log(`  ${target.label} failed: ${message}`);
    return { steps: driver?.run.steps ?? [], maxSustained: 0, error: message };
  } finally {
    await driver?.close();
  }
}

async function relayStep(
  ctx: BenchContext,
  pool: GeneratorPool,
  target: RelayTarget,
  index: number,
  rate: number,
  shares: number[],
): Promise<Omit<RelayStep, 'attempt'>> {
  const { durationMs, drainMs } = ctx.options;
  const startAt = Date.now() + 250;
  const cpu0 = target.serverPids.map(cpuSeconds);
  const db0 = target.watchPostgres ? cpuSecondsOf('postgres') : 0;
  const replies = await pool.each(
    (g) => ({
      op: 'relay-step',
      step: index,
      rate: rate * (shares[g] ?? 0),
      durationMs,
      drainMs,
      startAt,
    }),
    durationMs + drainMs + 60_000,
  );
  const wallSec = Math.max(...replies.map((r) => r.activeMs)) / 1000;
  const serverSec = target.serverPids.reduce(
    (sum, pid, i) => sum + cpuSeconds(pid) - (cpu0[i] ?? 0),
    0,
  );
  const sent = replies.reduce((sum, r) => sum + r.sent, 0);
  const received = replies.reduce((sum, r) => sum + r.received, 0);
  const rejected = replies.reduce((sum, r) => sum + r.rejected, 0);
  const undelivered = replies.reduce((sum, r) => sum + r.undelivered, 0);
  const windowSec = Math.max(...replies.map((r) => r.windowMs)) / 1000;
  const latency = mergeHistograms(replies.map((r) => r.latency));
  const p99Ms = latency.quantile(0.99);
  const lost = Math.max(0, sent - received);
  const clientBound = sent < OFFERED_SHARE * rate * (durationMs / 1000);
  const firstError = replies.find((r) => r.firstError)?.firstError;
  return {
    rate,
    sentPerSec: sent / windowSec,
    deliveredPerSec: received / (durationMs / 1000),
    sent,
    received,
    rejected,
    undelivered,
    lossPct: sent === 0 ? 0 : (100 * lost) / sent,
    p50Ms: latency.quantile(0.5),
    p99Ms,
    maxMs: latency.max,
    serverCores: serverSec / wallSec,
    serverUsPerMsg: received === 0 ? Number.NaN : (serverSec * 1e6) / received,
    ...(target.watchPostgres ? { dbCores: (cpuSecondsOf('postgres') - db0) / wallSec } : {}),
    clientCores: GeneratorPool.cpuMs(replies) / 1000 / wallSec,
    sustained: lost === 0 && sent > 0 && p99Ms < P99_LIMIT_MS && !clientBound,
    clientBound,
    ...(firstError ? { firstError } : {}),
  };
}

function describe(label: string, step: RelayStep): string {
  const verdict = step.sustained
    ? 'sustained'
    : step.clientBound
      ? 'client-bound'
      : 'not sustained';
  const db = step.dbCores === undefined ? '' : ` db ${step.dbCores.toFixed(2)}`;
  return `  ${label} ${step.rate} msgs/s${step.attempt > 1 ? ' (again)' : ''}: delivered ${Math.round(step.deliveredPerSec)}/s, p50 ${step.p50Ms.toFixed(2)} ms, p99 ${step.p99Ms.toFixed(2)} ms, loss ${step.lossPct.toFixed(2)}%, cores srv ${step.serverCores.toFixed(2)}${db} cli ${step.clientCores.toFixed(2)} → ${verdict}`;
}
