/**
 * A load generator: a child process of the bench runner (child_process.fork), driven over IPC.
 * It never decides anything: it opens the connections it is told to, offers the load it is told
 * to, and reports counts, a latency histogram and its own CPU time.
 */
import { createHash } from 'node:crypto';
import { settleLimit } from '../support/limit.js';
import { runHttp } from './http-load.js';
import type { BcryptResult, Command, Reply, Request, Results } from './messages.js';
import { type ClientConn, connect } from './protocols.js';
import { RelayLoad } from './relay-load.js';

const relay = new RelayLoad();
let idle: ClientConn[] = [];

const noRelay = { onRelay() {}, onReply() {} };

async function bcryptRate(
  mode: 'hash' | 'verify',
  cost: number,
  concurrency: number,
  durationMs: number,
): Promise<Omit<BcryptResult, 'cpuMs' | 'wallMs'>> {
  const { hash, verify } = await import('@node-rs/bcrypt');
  // The server hashes a base64 SHA-256 of the password; hash the same shape of input.
  const input = createHash('sha256').update('bench-password').digest('base64');
  const stored = await hash(input, { cost });
  let operations = 0;
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        if (mode === 'hash') await hash(input, { cost });
        else await verify(input, stored);
        operations += 1;
      }
    }),
  );
  return { operations, elapsedMs: performance.now() - started };
}

async function execute(command: Command): Promise<Results[Command['op']]> {
  switch (command.op) {
    case 'open-pairs':
      return { opened: await relay.open(command.pairs, command.timeoutMs), cpuMs: 0, wallMs: 0 };
    case 'relay-step':
      return {
        ...(await relay.run(
          command.step,
          command.rate,
          command.durationMs,
          command.drainMs,
          command.startAt,
        )),
        cpuMs: 0,
        wallMs: 0,
      };
    case 'open-idle': {
      const outcome = await settleLimit(command.endpoints, command.concurrency, (endpoint) =>
        connect(endpoint, noRelay, command.timeoutMs),
      );
      idle = idle.concat(outcome.values);
      return {
        opened: outcome.values.length,
        failed: outcome.failed,
        ...(outcome.firstError ? { firstError: outcome.firstError } : {}),
        cpuMs: 0,
        wallMs: 0,
      };
    }
    case 'close-all':
      relay.close();
      for (const conn of idle) conn.close();
      idle = [];
      return { cpuMs: 0, wallMs: 0 };
    case 'http':
      return {
        ...(await runHttp(command.baseUrl, command.calls, command.durationMs, command.startAt)),
        cpuMs: 0,
        wallMs: 0,
      };
    case 'bcrypt':
      return {
        ...(await bcryptRate(command.mode, command.cost, command.concurrency, command.durationMs)),
        cpuMs: 0,
        wallMs: 0,
      };
  }
}

function reply(message: Reply) {
  process.send?.(message);
}

process.on('message', (raw: Request) => {
  const startCpu = process.cpuUsage();
  const started = performance.now();
  execute(raw.command).then(
    (result) => {
      const cpu = process.cpuUsage(startCpu);
      reply({
        id: raw.id,
        ok: true,
        result: {
          ...result,
          cpuMs: (cpu.user + cpu.system) / 1000,
          wallMs: performance.now() - started,
        },
      });
    },
    (error: unknown) =>
      reply({
        id: raw.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      }),
  );
});

// The runner went away (crash, kill): stop at once rather than linger with open sockets.
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
