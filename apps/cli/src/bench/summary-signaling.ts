import type { CapacityResult } from './scenarios/capacity.js';
import type { RelayResult } from './scenarios/relay.js';
import { SCALE_OUT_TARGET_RATE, type ScaleOutResult } from './scenarios/scale-out.js';
import {
  above,
  atLeast,
  atMost,
  cores,
  headlineStep,
  type Row,
  row,
  stepAt,
} from './summary-row.js';

export function relayRows(relay: RelayResult): Row[] {
  const bySystem = new Map(relay.systems.map((s) => [s.system, s]));
  const cw = bySystem.get('cryptweb');
  const ws = bySystem.get('ws');
  if (!cw) return [];
  const rows: Row[] = [];
  const measure = `max sustained rate, ${relay.pairs} pairs (p99 < 50 ms, no loss)`;
  const targets = { ws: atLeast(0.7), peerjs: above(1), socketio: above(1) } as const;
  for (const key of ['ws', 'peerjs', 'socketio', 'cryptweb-pglite'] as const) {
    const other = bySystem.get(key);
    if (!other) continue;
    const pglite = key === 'cryptweb-pglite';
    rows.push(
      row(
        {
          scenario: 'relay',
          measure: pglite ? `${measure}: PostgreSQL vs PGlite` : measure,
          unit: 'msgs/s',
          value: cw.maxSustained,
          baseline: other.name,
          baselineValue: other.maxSustained,
          cpu: `${cores(headlineStep(cw))} · ${cores(headlineStep(other))}`,
        },
        pglite ? undefined : targets[key],
      ),
    );
  }
  if (ws) {
    // The common rate: the highest both sustained, else the lowest both ran.
    const both = cw.steps.filter((s) => stepAt(ws, s.rate));
    const common =
      both.filter((s) => s.sustained && stepAt(ws, s.rate)?.sustained).at(-1) ?? both[0];
    const wsStep = common ? stepAt(ws, common.rate) : undefined;
    if (common && wsStep) {
      const at = `at ${common.rate.toLocaleString('en-US')} msgs/s`;
      const cpu = `${cores(common)} · ${cores(wsStep)}`;
      const pair = { scenario: 'relay', baseline: ws.name, cpu };
      rows.push(
        row(
          {
            ...pair,
            measure: `p50 one-way latency ${at}`,
            unit: 'ms',
            value: common.p50Ms,
            baselineValue: wsStep.p50Ms,
          },
          atMost(1.5),
        ),
        row({
          ...pair,
          measure: `p99 one-way latency ${at}`,
          unit: 'ms',
          value: common.p99Ms,
          baselineValue: wsStep.p99Ms,
        }),
        row({
          ...pair,
          measure: `server CPU per message ${at}`,
          unit: 'µs',
          value: common.serverUsPerMsg,
          baselineValue: wsStep.serverUsPerMsg,
        }),
      );
    }
  }
  return rows;
}

export function capacityRows(capacity: CapacityResult): Row[] {
  const by = new Map(capacity.systems.map((s) => [s.system, s]));
  const cw = by.get('cryptweb');
  const ws = by.get('ws');
  if (!cw) return [];
  const n = capacity.connections.toLocaleString('en-US');
  const rows: Row[] = [
    row(
      {
        scenario: 'capacity',
        measure: `idle authenticated subscriptions open (of ${n})`,
        unit: 'conns',
        value: cw.opened,
        baseline: ws?.name ?? 'raw ws relay',
        baselineValue: ws?.opened ?? null,
      },
      { text: `= ${n}`, check: (_r, v) => v >= capacity.connections },
    ),
  ];
  for (const other of capacity.systems.filter((s) => s.system !== 'cryptweb')) {
    rows.push(
      row(
        {
          scenario: 'capacity',
          measure: 'server RSS per connection',
          unit: 'KiB',
          value: cw.rssPerConnectionBytes / 1024,
          baseline: other.name,
          baselineValue: other.rssPerConnectionBytes / 1024,
        },
        other.system === 'ws' ? atMost(2) : undefined,
      ),
    );
  }
  if (ws) {
    rows.push(
      row({
        scenario: 'capacity',
        measure: `time to connect all ${n}`,
        unit: 'ms',
        value: cw.connectMs,
        baseline: ws.name,
        baselineValue: ws.connectMs,
      }),
    );
  }
  return rows;
}

export function scaleOutRows(scaleOut: ScaleOutResult, relay: RelayResult | undefined): Row[] {
  if (scaleOut.skipped) return [];
  const single = relay?.systems.find((s) => s.system === 'cryptweb');
  // The target rate when it ran (always, but in --quick), else the last rate that did.
  const at = stepAt(scaleOut, SCALE_OUT_TARGET_RATE) ?? scaleOut.steps.at(-1);
  const atRate = at?.rate ?? SCALE_OUT_TARGET_RATE;
  const singleAt = stepAt(single, atRate);
  const base = {
    scenario: 'scale-out',
    baseline: 'CryptWeb, one instance',
    cpu: `${cores(at)} · ${cores(singleAt)}`,
  };
  const rate = `at ${atRate.toLocaleString('en-US')} msgs/s`;
  return [
    row({
      ...base,
      measure: `cross-instance p50 ${rate}`,
      unit: 'ms',
      value: at?.p50Ms ?? null,
      baselineValue: singleAt?.p50Ms ?? null,
    }),
    row(
      {
        ...base,
        measure: `cross-instance p99 ${rate}`,
        unit: 'ms',
        value: at?.p99Ms ?? null,
        baselineValue: singleAt?.p99Ms ?? null,
      },
      atRate === SCALE_OUT_TARGET_RATE ? { text: '≤ 20 ms', check: (_r, v) => v <= 20 } : undefined,
    ),
    row({
      ...base,
      measure: `max sustained rate, ${scaleOut.pairs} pairs across 2 instances`,
      unit: 'msgs/s',
      value: scaleOut.maxSustained,
      baselineValue: single?.maxSustained ?? null,
      cpu: `${cores(headlineStep(scaleOut))} · ${cores(headlineStep(single))}`,
    }),
  ];
}
