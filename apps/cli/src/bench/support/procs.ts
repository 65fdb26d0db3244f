import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { repoRoot } from './paths.js';

/** Linux clock ticks per second (USER_HZ), the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;
/** Output kept per child for error messages. */
const KEEP_OUTPUT = 16_384;

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** The last bytes the child wrote to stdout and stderr. */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
}

export interface SpawnOptions {
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  execArgv?: string[];
  /** Open an IPC channel (for forked bench modules). */
  ipc?: boolean;
  /** Called with every chunk of stdout/stderr text. */
  onOutput?: (text: string) => void;
}

/**
 * Every process the bench starts, so that all of them are stopped at the end whatever happens:
 * `stopAll()` on the normal path, and a synchronous SIGKILL sweep if this process exits first.
 */
export class ProcessGroup {
  private readonly children = new Set<Child>();
  private readonly onExit = () => {
    for (const child of this.children) if (child.isRunning()) child.process.kill('SIGKILL');
  };

  constructor() {
    process.once('exit', this.onExit);
  }

  /** Starts `node [execArgv] file args…` with exactly `env` on top of PATH. */
  start(name: string, file: string, options: SpawnOptions): Child {
    const child = spawn(process.execPath, [...(options.execArgv ?? []), file, ...options.args], {
      cwd: options.cwd ?? repoRoot,
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error(`could not start ${name}`);
    let text = '';
    let running = true;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve) => {
        child.once('exit', (code, signal) => {
          running = false;
          resolve({ code, signal });
        });
      },
    );
    const onData = (chunk: Buffer) => {
      const piece = chunk.toString('utf8');
      text = (text + piece).slice(-KEEP_OUTPUT);
      options.onOutput?.(piece);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', () => {});
    const handle: Child = {
      name,
      process: child,
      pid: child.pid,
      output: () => text,
      exited,
      isRunning: () => running,
    };
    this.children.add(handle);
    void exited.then(() => this.children.delete(handle));
    return handle;
  }

  /** SIGTERM (or SIGKILL at once when `graceful` is false), then SIGKILL after `graceMs`. */
  async stop(child: Child, options: { graceful?: boolean; graceMs?: number } = {}): Promise<void> {
    if (!child.isRunning()) return;
    child.process.kill(options.graceful === false ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.process.kill('SIGKILL'), options.graceMs ?? 5000);
    await child.exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children].map((child) => this.stop(child, { graceMs: 3000 })));
    process.removeListener('exit', this.onExit);
  }

  get size(): number {
    return this.children.size;
  }
}

/** User + system CPU seconds a process has used so far, from /proc (0 once it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the name, utime and stime are the 12th and 13th fields (stat fields 14 and 15).
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Resident set size in bytes, from /proc/<pid>/status VmRSS (0 once it is gone). */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds of every process whose command name is exactly `comm` (e.g. all PostgreSQL backends). */
export function cpuSecondsOf(comm: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name === comm) total += cpuSeconds(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
