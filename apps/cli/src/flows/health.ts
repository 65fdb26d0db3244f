import { check, equal } from './assert.js';
import type { FlowContext } from './context.js';

/** health.check: the app is up and the database answers. */
export async function healthFlow(ctx: FlowContext) {
  const report = await ctx.client().health.check.query();
  equal(report.app.status, 'up', 'app.status');
  equal(report.database.status, 'healthy', 'database.status');
  check(report.app.uptime >= 0, 'app.uptime is not a duration');
  check(['pglite', 'postgres'].includes(report.database.driver), 'database.driver is unknown');
}
