import type { AuthResult, Throughput } from './scenarios/auth.js';
import type { CapacityResult } from './scenarios/capacity.js';
import type { RelayResult } from './scenarios/relay.js';
import type { ScaleOutResult } from './scenarios/scale-out.js';
import type { StartupResult } from './scenarios/startup.js';
import { atLeast, cores, type Row, row } from './summary-row.js';
import { capacityRows, relayRows, scaleOutRows } from './summary-signaling.js';

export type { Row, Unit } from './summary-row.js';

export interface Scenarios {
  relay?: RelayResult;
  capacity?: CapacityResult;
  scaleOut?: ScaleOutResult;
  auth?: AuthResult;
  startup?: StartupResult;
}

function authRows(auth: AuthResult): Row[] {
  const rows: Row[] = [];
  const cost = `cost ${auth.bcryptCost}`;
  if (auth.signIn) {
    rows.push(
      row(
        {
          scenario: 'auth',
          measure: `auth.signIn (${cost})`,
          unit: 'req/s',
          value: auth.signIn.perSec,
          baseline: `raw @node-rs/bcrypt verify (hash: ${auth.bcryptHashPerSec?.toFixed(1) ?? '–'}/s)`,
          baselineValue: auth.bcryptVerifyPerSec ?? null,
          cpu: cores(auth.signIn),
        },
        atLeast(0.9),
      ),
    );
  }
  const ceiling = auth.ceiling;
  const name = 'node:http + jose + 1 row by PK';
  const pair = (label: string, t: Throughput | undefined, target?: ReturnType<typeof atLeast>) => {
    if (!t) return;
    const cpu = `${cores(t)} · ${cores(ceiling)}`;
    rows.push(
      row(
        {
          scenario: 'auth',
          measure: `${label} throughput`,
          unit: 'req/s',
          value: t.perSec,
          baseline: name,
          baselineValue: ceiling?.perSec ?? null,
          cpu,
        },
        target,
      ),
      row({
        scenario: 'auth',
        measure: `${label} p99`,
        unit: 'ms',
        value: t.p99Ms,
        baseline: name,
        baselineValue: ceiling?.p99Ms ?? null,
        cpu,
      }),
    );
  };
  pair('auth.me (tRPC)', auth.me, atLeast(0.6));
  pair('auth.me (REST)', auth.meRest);
  pair('auth.refresh (tRPC)', auth.refresh);
  return rows;
}

function startupRows(startup: StartupResult): Row[] {
  const rows: Row[] = [];
  const base = { scenario: 'start-up', baseline: 'raw ws relay process' };
  for (const [engine, run] of [
    ['PostgreSQL', startup.postgres],
    ['PGlite', startup.pglite],
  ] as const) {
    if (!run) continue;
    rows.push(
      row({
        ...base,
        measure: `time to ready, ${engine}, fresh database (migrations)`,
        unit: 'ms',
        value: run.coldMs,
        baselineValue: startup.baseline?.readyMs ?? null,
      }),
      row({
        ...base,
        measure: `time to ready, ${engine}, restart`,
        unit: 'ms',
        value: run.warmMs,
        baselineValue: startup.baseline?.readyMs ?? null,
      }),
      row({
        ...base,
        measure: `idle RSS, ${engine}`,
        unit: 'MiB',
        value: run.idleRssBytes / 2 ** 20,
        baselineValue: (startup.baseline?.idleRssBytes ?? Number.NaN) / 2 ** 20,
      }),
    );
  }
  return rows;
}

/** Every headline figure of the run, in scenario order. */
export function summarize(scenarios: Scenarios): Row[] {
  return [
    ...(scenarios.relay ? relayRows(scenarios.relay) : []),
    ...(scenarios.capacity ? capacityRows(scenarios.capacity) : []),
    ...(scenarios.scaleOut ? scaleOutRows(scenarios.scaleOut, scenarios.relay) : []),
    ...(scenarios.auth ? authRows(scenarios.auth) : []),
    ...(scenarios.startup ? startupRows(scenarios.startup) : []),
  ];
}
