import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { type BenchReport, registerBench } from '../src/bench/index.js';

/** Set (as in CI's PostgreSQL pass) to run the PostgreSQL parts: scale-out, the auth ceiling. */
const postgresUrl = process.env.TEST_DATABASE_URL || undefined;

/** Pids of this process's children still alive: the bench must leave none behind. */
function liveChildren(): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is the state, fields[1] the parent pid; zombies are already gone in all but name.
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z') children.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return children;
}

const finitePositive = (value: unknown) =>
  typeof value === 'number' && value > 0 && Number.isFinite(value);

describe('cryptweb bench --quick', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'cryptweb-bench-smoke-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs every scenario against every system and reports sane numbers', {
    timeout: 300_000,
  }, async () => {
    const program = new Command('cryptweb').exitOverride();
    program.option('--json');
    registerBench(program);
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      await program.parseAsync(
        ['bench', '--quick', '--out', out, '--postgres-url', postgresUrl ?? 'none'],
        { from: 'user' },
      );
    } finally {
      process.stdout.write = write;
    }
    expect(liveChildren()).toEqual([]);

    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const report = JSON.parse(readFileSync(path.join(out, files[0] ?? ''), 'utf8')) as BenchReport;
    const table = written.join('');
    for (const scenario of ['relay', 'capacity', 'auth', 'start-up']) {
      expect(table).toContain(`| ${scenario} |`);
    }
    expect(report.postgres).toBe(postgresUrl !== undefined);
    expect(report.machine.nproc).toBeGreaterThan(0);

    const relay = report.scenarios.relay;
    expect(relay?.systems.map((s) => s.system).sort()).toEqual(
      postgresUrl
        ? ['cryptweb', 'cryptweb-pglite', 'peerjs', 'socketio', 'ws']
        : ['cryptweb', 'peerjs', 'socketio', 'ws'],
    );
    for (const system of relay?.systems ?? []) {
      expect(system.error, system.system).toBeUndefined();
      const first = system.steps[0];
      expect(first?.sent, system.system).toBeGreaterThan(0);
      expect(first?.received, system.system).toBe(first?.sent);
      expect(first?.p50Ms, system.system).toBeGreaterThan(0);
      expect(first?.p50Ms, system.system).toBeLessThan(5000);
      expect(first?.p99Ms ?? 0).toBeGreaterThanOrEqual(first?.p50Ms ?? 0);
      expect(system.maxSustained).toBeGreaterThanOrEqual(0);
    }

    const capacity = report.scenarios.capacity;
    expect(capacity?.systems.map((s) => s.system).sort()).toEqual([
      'cryptweb',
      'peerjs',
      'socketio',
      'ws',
    ]);
    for (const system of capacity?.systems ?? []) {
      expect(system.error, system.system).toBeUndefined();
      expect(system.opened, system.system).toBe(report.options.connections);
      expect(finitePositive(system.connectMs), system.system).toBe(true);
      expect(finitePositive(system.rssAfterBytes), system.system).toBe(true);
    }

    const scaleOut = report.scenarios.scaleOut;
    if (postgresUrl) {
      expect(scaleOut?.error).toBeUndefined();
      expect(scaleOut?.steps[0]?.received).toBe(scaleOut?.steps[0]?.sent);
      expect(scaleOut?.steps[0]?.sent).toBeGreaterThan(0);
      expect(table).toContain('| scale-out |');
    } else {
      expect(scaleOut?.skipped).toMatch(/PostgreSQL/);
    }

    const auth = report.scenarios.auth;
    expect(auth?.error).toBeUndefined();
    for (const measure of [auth?.signIn, auth?.me, auth?.meRest, auth?.refresh]) {
      expect(measure?.failed).toBe(0);
      expect(finitePositive(measure?.perSec)).toBe(true);
      expect(finitePositive(measure?.p99Ms)).toBe(true);
    }
    expect(finitePositive(auth?.bcryptVerifyPerSec)).toBe(true);
    expect(finitePositive(auth?.bcryptHashPerSec)).toBe(true);
    if (postgresUrl) expect(finitePositive(auth?.ceiling?.perSec)).toBe(true);
    else expect(auth?.ceilingSkipped).toMatch(/PostgreSQL/);

    const startup = report.scenarios.startup;
    expect(startup?.error).toBeUndefined();
    const engines = postgresUrl ? [startup?.pglite, startup?.postgres] : [startup?.pglite];
    for (const run of engines) {
      expect(finitePositive(run?.coldMs)).toBe(true);
      expect(finitePositive(run?.warmMs)).toBe(true);
      expect(run?.idleRssBytes ?? 0).toBeGreaterThan(10 * 2 ** 20);
    }

    // Every row has a figure and, where a baseline ran, a ratio; the table and JSON agree.
    expect(report.rows.length).toBeGreaterThan(10);
    for (const row of report.rows) {
      expect(row.value, row.measure).not.toBeNull();
      if (row.baselineValue !== null && row.baselineValue !== 0) expect(row.ratio).not.toBeNull();
    }
  });
});
