import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import type { BenchOptions } from './options.js';
import type { Row, Scenarios, Unit } from './summary.js';

export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  memoryGiB: number;
  /** 1-minute load average when the run started: others' work on the same cores. */
  loadAverage: number;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: Machine;
  options: BenchOptions;
  /** PostgreSQL was reachable (otherwise PostgreSQL parts ran on PGlite or were skipped). */
  postgres: boolean;
  rows: Row[];
  scenarios: Scenarios;
  /** Problems that did not stop the run. */
  errors: string[];
}

export function machineFacts(): Machine {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) cpuModel = match[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  let loadAverage = 0;
  try {
    loadAverage = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    loadAverage = 0;
  }
  return {
    nproc: cpus().length,
    cpuModel,
    node: process.version,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage,
  };
}

function format(value: number | null, unit: Unit): string {
  if (value === null) return '–';
  const digits =
    unit === 'conns'
      ? 0
      : unit === 'ms'
        ? value < 10
          ? 2
          : value < 100
            ? 1
            : 0
        : unit === 'KiB' || unit === 'MiB'
          ? 1
          : value < 100
            ? 1
            : 0;
  const text = value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return unit === 'conns' ? text : `${text} ${unit}`;
}

const ratio = (r: number | null) => (r === null ? '–' : `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`);
const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The one Markdown table: each CryptWeb figure, its baseline from the same run, the ratio. */
export function renderTable(report: BenchReport): string {
  const lines = [
    '| scenario | measure | CryptWeb | baseline (same run) | baseline | ratio | target | CPU cores srv/db/gen (CryptWeb · baseline) |',
    '|---|---|---:|---|---:|---:|---|---|',
  ];
  for (const r of report.rows) {
    const target = r.target ? `${r.target} ${r.met ? '✓ met' : '✗ missed'}` : '';
    lines.push(
      `| ${[r.scenario, r.measure, format(r.value, r.unit), r.baseline, format(r.baselineValue, r.unit), ratio(r.ratio), target, r.cpu ?? ''].map(cell).join(' | ')} |`,
    );
  }
  const m = report.machine;
  lines.push(
    '',
    `Machine: ${m.nproc} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, load average ${m.loadAverage} at start; ${report.postgres ? 'PostgreSQL' : 'PGlite only (no PostgreSQL)'}; run took ${report.durationSeconds.toFixed(0)} s${report.options.quick ? ' (--quick)' : ''}.`,
  );
  for (const error of report.errors) lines.push(`Problem: ${error}`);
  return lines.join('\n');
}

/** Writes `<outDir>/<timestamp>.json` and returns its path. */
export function writeReport(report: BenchReport): string {
  mkdirSync(report.options.outDir, { recursive: true });
  const file = path.join(
    report.options.outDir,
    `${report.startedAt.replace(/[:.]/g, '-').replace(/Z$/, '')}.json`,
  );
  // NaN is not JSON: unknown figures become null.
  const json = JSON.stringify(
    report,
    (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
    2,
  );
  writeFileSync(file, `${json}\n`);
  return file;
}
