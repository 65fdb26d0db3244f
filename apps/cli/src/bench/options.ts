import path from 'node:path';

export const SCENARIOS = ['relay', 'capacity', 'scale-out', 'auth', 'startup'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const RELAY_SYSTEMS = ['cryptweb', 'cryptweb-pglite', 'ws', 'peerjs', 'socketio'] as const;
export type RelaySystem = (typeof RELAY_SYSTEMS)[number];

export interface BenchOptions {
  scenarios: ScenarioName[];
  /** Systems of the relay and capacity scenarios. */
  systems: RelaySystem[];
  /** Relay and scale-out: peer pairs (each pair: two clients sending to each other). */
  pairs: number;
  /** Relay and scale-out: stepped offered rates, msgs/s over all pairs. */
  rates: number[];
  /** Length of each relay step and each auth measurement. */
  durationMs: number;
  /** After a step's sending window: how long to wait for the last messages. */
  drainMs: number;
  /** Capacity: idle authenticated subscriptions. */
  connections: number;
  /** Load generator processes for relay and HTTP load. */
  generators: number;
  /** Auth: BCRYPT_COST of the CryptWeb server and of the raw bcrypt baseline. */
  bcryptCost: number;
  /** Auth: requests in flight for auth.me / auth.refresh / the ceiling (over all generators). */
  concurrency: number;
  /** PostgreSQL server to create the bench databases on; null → PGlite only (no scale-out). */
  postgresUrl: string | null;
  /** Where the JSON report goes. */
  outDir: string;
  /** When set, CryptWeb servers under load run with `--cpu-prof` and write their profiles here. */
  profileDir: string | null;
  quick: boolean;
}

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The default run: under 10 minutes on 2 cores. */
export function defaultOptions(outDir: string): BenchOptions {
  return {
    scenarios: [...SCENARIOS],
    systems: [...RELAY_SYSTEMS],
    pairs: 100,
    rates: [
      1000, 2000, 5000, 7500, 10_000, 12_500, 15_000, 20_000, 25_000, 30_000, 40_000, 50_000,
      60_000, 80_000,
    ],
    durationMs: 3000,
    drainMs: 2000,
    connections: 10_000,
    generators: 2,
    bcryptCost: 12,
    concurrency: 16,
    postgresUrl: DEFAULT_POSTGRES_URL,
    outDir,
    profileDir: null,
    quick: false,
  };
}

/** `--quick`: seconds, tiny numbers; what CI runs so the bench cannot rot. */
export function quickOptions(base: BenchOptions): BenchOptions {
  return {
    ...base,
    pairs: 3,
    rates: [100, 500],
    durationMs: 500,
    // Waited only while messages are missing: generous, so a loaded CI machine loses nothing.
    drainMs: 3000,
    connections: 40,
    generators: 1,
    bcryptCost: 4,
    concurrency: 4,
    quick: true,
  };
}

function list<T extends string>(value: string, allowed: readonly T[], what: string): T[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) {
      throw new Error(`unknown ${what} "${item}" (one of: ${allowed.join(', ')})`);
    }
  }
  return items as T[];
}

function positive(value: string, what: string, max: number): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || number > max) {
    throw new Error(`${what} must be a number in (0, ${max}], got "${value}"`);
  }
  return number;
}

/** What commander hands over: every flag as a string (or `true` for --quick). */
export interface BenchFlags {
  quick?: boolean;
  scenarios?: string;
  systems?: string;
  pairs?: string;
  rates?: string;
  duration?: string;
  drain?: string;
  connections?: string;
  generators?: string;
  bcryptCost?: string;
  concurrency?: string;
  postgresUrl?: string;
  out?: string;
  profile?: string;
}

/** Defaults, then --quick, then explicit flags (so `--quick --pairs 10` works). */
export function resolveOptions(flags: BenchFlags, defaultOutDir: string): BenchOptions {
  let options = defaultOptions(flags.out ?? defaultOutDir);
  if (flags.quick) options = quickOptions(options);
  if (flags.scenarios) options.scenarios = list(flags.scenarios, SCENARIOS, 'scenario');
  if (flags.systems) options.systems = list(flags.systems, RELAY_SYSTEMS, 'system');
  if (flags.pairs) options.pairs = Math.round(positive(flags.pairs, '--pairs', 10_000));
  if (flags.rates) {
    options.rates = flags.rates
      .split(',')
      .map((rate) => Math.round(positive(rate, '--rates', 10_000_000)))
      .sort((a, b) => a - b);
  }
  if (flags.duration) options.durationMs = positive(flags.duration, '--duration', 600) * 1000;
  if (flags.drain) options.drainMs = positive(flags.drain, '--drain', 60) * 1000;
  if (flags.connections) {
    options.connections = Math.round(positive(flags.connections, '--connections', 1_000_000));
  }
  if (flags.generators) {
    options.generators = Math.round(positive(flags.generators, '--generators', 64));
  }
  if (flags.bcryptCost) {
    options.bcryptCost = Math.round(positive(flags.bcryptCost, '--bcrypt-cost', 16));
    if (options.bcryptCost < 4) throw new Error('--bcrypt-cost must be 4–16');
  }
  if (flags.concurrency) {
    options.concurrency = Math.round(positive(flags.concurrency, '--concurrency', 4096));
  }
  if (flags.profile) options.profileDir = path.resolve(flags.profile);
  if (flags.postgresUrl !== undefined) {
    options.postgresUrl = flags.postgresUrl === 'none' ? null : flags.postgresUrl;
  }
  return options;
}
