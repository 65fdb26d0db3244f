import type { RelayRun, RelayStep } from './scenarios/relay-driver.js';

export type Unit = 'msgs/s' | 'req/s' | 'ms' | 'KiB' | 'MiB' | 'µs' | 'conns';

/** One line of the table: a CryptWeb figure next to a baseline from the same run. */
export interface Row {
  scenario: string;
  measure: string;
  unit: Unit;
  value: number | null;
  baseline: string;
  baselineValue: number | null;
  /** value ÷ baselineValue. */
  ratio: number | null;
  /** e.g. "≥ 0.7×"; absent where the issue sets none. */
  target?: string;
  met?: boolean;
  /** CPU cores (server / database / load generators) behind the figure and its baseline. */
  cpu?: string;
}

export const finite = (n: number | undefined | null): number | null =>
  n === undefined || n === null || !Number.isFinite(n) ? null : n;

export function row(
  base: Omit<Row, 'ratio' | 'met' | 'target'>,
  target?: { text: string; check(ratio: number, value: number): boolean },
): Row {
  const value = finite(base.value);
  const baselineValue = finite(base.baselineValue);
  const ratio = value !== null && baselineValue ? value / baselineValue : null;
  const out: Row = { ...base, value, baselineValue, ratio };
  if (target) {
    out.target = target.text;
    out.met = value !== null && target.check(ratio ?? Number.NaN, value);
  }
  return out;
}

export const atLeast = (x: number) => ({ text: `≥ ${x}×`, check: (r: number) => r >= x });
export const above = (x: number) => ({ text: `> ${x}×`, check: (r: number) => r > x });
export const atMost = (x: number) => ({ text: `≤ ${x}×`, check: (r: number) => r <= x });

export const cores = (
  s: { serverCores: number; dbCores?: number; clientCores: number } | undefined,
) =>
  s
    ? `${s.serverCores.toFixed(2)}/${s.dbCores === undefined ? '–' : s.dbCores.toFixed(2)}/${s.clientCores.toFixed(2)}`
    : '–';

/** The step a system's headline comes from: its best sustained step, else its first. */
export const headlineStep = (run: RelayRun | undefined): RelayStep | undefined =>
  run?.steps.filter((s) => s.sustained).at(-1) ?? run?.steps[0];
/** The step run at `rate` (its rerun, when the first attempt failed). */
export const stepAt = (run: RelayRun | undefined, rate: number) =>
  run?.steps.filter((s) => s.rate === rate).at(-1);
