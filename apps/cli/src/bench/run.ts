import { randomBytes } from 'node:crypto';
import type { BenchOptions, ScenarioName } from './options.js';
import { type BenchReport, machineFacts } from './report.js';
import { authScenario } from './scenarios/auth.js';
import { capacityScenario } from './scenarios/capacity.js';
import type { BenchContext } from './scenarios/context.js';
import { relayScenario } from './scenarios/relay.js';
import { scaleOutScenario } from './scenarios/scale-out.js';
import { startupScenario } from './scenarios/startup.js';
import { type Scenarios, summarize } from './summary.js';
import { ensureServerBuilt } from './support/paths.js';
import { postgresReachable } from './support/postgres.js';
import { ProcessGroup } from './support/procs.js';

/** Runs the scenarios and returns the report; every process it started is gone when it returns. */
export async function runBench(
  options: BenchOptions,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<BenchReport> {
  const startedAt = new Date();
  const machine = machineFacts();
  const group = new ProcessGroup();
  const deferred: (() => Promise<void>)[] = [];
  const errors: string[] = [];
  const scenarios: Scenarios = {};
  let postgres = false;
  const stopOnSignal = () => {
    log('interrupted: stopping every process the bench started');
    void group.stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    await ensureServerBuilt(log);
    postgres = options.postgresUrl !== null && (await postgresReachable(options.postgresUrl));
    if (options.postgresUrl && !postgres) {
      errors.push(`PostgreSQL not reachable at ${options.postgresUrl}: PGlite only, no scale-out`);
      log(errors.at(-1) ?? '');
    }
    const ctx: BenchContext = {
      options,
      group,
      log,
      jwtSecret: randomBytes(32).toString('base64url'),
      postgresUrl: postgres ? options.postgresUrl : null,
      defer: (task) => deferred.push(task),
    };
    const runners: Record<ScenarioName, () => Promise<void>> = {
      relay: async () => {
        scenarios.relay = await relayScenario(ctx);
      },
      capacity: async () => {
        scenarios.capacity = await capacityScenario(ctx);
      },
      'scale-out': async () => {
        scenarios.scaleOut = await scaleOutScenario(ctx);
      },
      auth: async () => {
        scenarios.auth = await authScenario(ctx);
      },
      startup: async () => {
        scenarios.startup = await startupScenario(ctx);
      },
    };
    for (const name of options.scenarios) {
      try {
        await runners[name]();
      } catch (error) {
        const message = `${name}: ${error instanceof Error ? error.message : String(error)}`;
        errors.push(message);
        log(`scenario failed: ${message}`);
      }
    }
  } finally {
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
    await group.stopAll();
    for (const task of deferred) {
      await task().catch((error: unknown) => {
        errors.push(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
  }
  const finishedAt = new Date();
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    machine,
    options,
    postgres,
    rows: summarize(scenarios),
    scenarios,
    errors: errors.concat(collectErrors(scenarios)),
  };
}

/** Errors recorded inside scenario results, so that the table says what did not run. */
function collectErrors(scenarios: Scenarios): string[] {
  const errors: string[] = [];
  for (const s of scenarios.relay?.systems ?? [])
    if (s.error) errors.push(`relay ${s.system}: ${s.error}`);
  for (const s of scenarios.capacity?.systems ?? [])
    if (s.error) errors.push(`capacity ${s.system}: ${s.error}`);
  if (scenarios.capacity?.fdNote) errors.push(`capacity: ${scenarios.capacity.fdNote}`);
  if (scenarios.scaleOut?.error) errors.push(`scale-out: ${scenarios.scaleOut.error}`);
  if (scenarios.scaleOut?.skipped) errors.push(`scale-out skipped: ${scenarios.scaleOut.skipped}`);
  if (scenarios.auth?.error) errors.push(`auth: ${scenarios.auth.error}`);
  if (scenarios.auth?.ceilingSkipped)
    errors.push(`auth ceiling skipped: ${scenarios.auth.ceilingSkipped}`);
  if (scenarios.startup?.error) errors.push(`start-up: ${scenarios.startup.error}`);
  return errors;
}
