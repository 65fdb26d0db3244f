import type { Deps } from '../context.js';
import { pingDatabase } from '../db/client.js';
import { DomainError } from '../errors.js';

export interface HealthReport {
  app: {
    status: 'up';
    uptime: number;
    version: string;
    memoryUsage: { rss: number; heapTotal: number; heapUsed: number; external: number };
  };
  database: { status: 'healthy' | 'down'; latencyMs: number | null; driver: Deps['driver'] };
}

/** Probes the database and describes the process; never throws. */
export async function healthReport(deps: Deps): Promise<HealthReport> {
  const { rss, heapTotal, heapUsed, external } = process.memoryUsage();
  let database: HealthReport['database'];
  try {
    const latencyMs = await pingDatabase(deps.db);
    database = { status: 'healthy', latencyMs, driver: deps.driver };
  } catch {
    database = { status: 'down', latencyMs: null, driver: deps.driver };
  }
  return {
    app: {
      status: 'up',
      uptime: Math.round((Date.now() - deps.startedAt) / 1000),
      version: deps.version,
      memoryUsage: { rss, heapTotal, heapUsed, external },
    },
    database,
  };
}

/** The health report, or SERVICE_UNAVAILABLE carrying it in `data.health` when the database is down. */
export async function checkHealth(deps: Deps): Promise<HealthReport> {
  const report = await healthReport(deps);
  if (report.database.status === 'down') {
    throw new DomainError('DATABASE_UNAVAILABLE', { details: { health: report } });
  }
  return report;
}
