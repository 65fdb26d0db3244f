import { describe, expect, it } from 'vitest';
import { FLOWS } from '../src/flows/index.js';
import { runCli } from './support/cli.js';

describe('cryptweb e2e (spawning its own server)', () => {
  it('runs every flow against a fresh PGlite server, prints a table and exits 0', async () => {
    const run = await runCli(['e2e'], {}, 110_000);
    expect(run.stderr).toContain('starting a server');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const flow of FLOWS) {
      expect(run.stdout).toMatch(new RegExp(`^${escapeRegExp(flow.name)}\\s+pass\\s+\\d+$`, 'm'));
    }
    expect(run.stdout).not.toContain('FAIL');
    expect(run.stdout).toContain(`${FLOWS.length}/${FLOWS.length} flows passed`);
  });

  it('--json prints one JSON document with every flow passed', async () => {
    const run = await runCli(['e2e', '--json'], {}, 110_000);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      spawned: boolean;
      url: string;
      flows: { name: string; ok: boolean; ms: number; error?: string }[];
    };
    expect(report.ok).toBe(true);
    expect(report.spawned).toBe(true);
    expect(report.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(report.flows.map((flow) => flow.name)).toEqual(FLOWS.map((flow) => flow.name));
    for (const flow of report.flows) {
      expect(flow, flow.error).toMatchObject({ ok: true, ms: expect.any(Number) });
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
