import { benchModule } from '../support/paths.js';
import type { Child, ProcessGroup } from '../support/procs.js';
import type { Command, Op, Reply, Request, Results } from './messages.js';

/** Longest any one generator command may take before the run gives up on it. */
const DEFAULT_COMMAND_TIMEOUT_MS = 180_000;

/** One forked load generator and the commands in flight to it. */
export class Generator {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve(value: Results[Op]): void; reject(error: Error): void }
  >();

  private constructor(readonly child: Child) {
    child.process.on('message', (message: Reply | { ready: true }) => {
      if (!('id' in message)) return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${child.name}: ${message.error}`));
    });
    void child.exited.then(({ code, signal }) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`${child.name} exited (${code ?? signal}): ${child.output()}`));
      }
      this.pending.clear();
    });
  }

  static async start(group: ProcessGroup, name: string): Promise<Generator> {
    const { file, execArgv } = benchModule('load/generator');
    const child = group.start(name, file, { args: [], env: {}, execArgv, ipc: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 30_000);
      child.process.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      void child.exited.then(() => reject(new Error(`${name} exited: ${child.output()}`)));
    });
    return new Generator(child);
  }

  call<C extends Command>(command: C, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS) {
    const id = this.nextId;
    this.nextId += 1;
    return new Promise<Results[C['op']]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.child.name}: ${command.op} took over ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as Results[C['op']]);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.process.send({ id, command } satisfies Request);
    });
  }
}

/** Several generators started together and stopped together. */
export class GeneratorPool {
  private constructor(
    private readonly group: ProcessGroup,
    readonly generators: Generator[],
  ) {}

  static async start(group: ProcessGroup, count: number, label: string): Promise<GeneratorPool> {
    const generators = await Promise.all(
      Array.from({ length: count }, (_, i) => Generator.start(group, `${label}-gen${i + 1}`)),
    );
    return new GeneratorPool(group, generators);
  }

  /** Sends each generator its own command (by index) and waits for all replies. */
  each<C extends Command>(command: (index: number) => C, timeoutMs?: number) {
    return Promise.all(this.generators.map((g, i) => g.call(command(i), timeoutMs)));
  }

  /** Total CPU ms of a set of replies. */
  static cpuMs(replies: { cpuMs: number }[]): number {
    return replies.reduce((sum, reply) => sum + reply.cpuMs, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.generators.map((g) => this.group.stop(g.child, { graceful: false })));
  }
}
