import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Commands run as a user's shell runs them (`bash -c`, so `~`, `<(…)` and `&&` mean what they do
 * there), each in a process group of its own: a timeout or the end of the test stops the whole
 * group (pnpm → sh → node), and nothing outlives the test process.
 */
export interface ShellOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

const groups = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of groups) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function spawnShell(command: string, options: ShellOptions): ChildProcess {
  const child = spawn('bash', ['-c', command], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  groups.add(child);
  child.once('exit', () => groups.delete(child));
  return child;
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the shell has exited. */
async function stopGroup(child: ChildProcess, exited: Promise<unknown>, graceMs = 10_000) {
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  // Grandchildren that ignored SIGTERM (a server mid-shutdown) go with the group.
  killGroup(child, 'SIGKILL');
  groups.delete(child);
}

/** Runs `command` to its end, or stops it after `timeoutMs`. */
export function sh(command: string, options: ShellOptions, timeoutMs: number): Promise<Finished> {
  const started = performance.now();
  const child = spawnShell(command, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => resolve(code));
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stopGroup(child, exited, 5000);
  }, timeoutMs);
  return exited.then((code) => {
    clearTimeout(timer);
    killGroup(child, 'SIGKILL');
    return { code, stdout, stderr, ms: Math.round(performance.now() - started), timedOut };
  });
}

export interface Background {
  readonly command: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** The exit code once the shell ends by itself. */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** A child's output as it arrives, and a way to wait for a pattern in it. */
export interface OutputWatch {
  append(chunk: Buffer): void;
  /** The child is gone: pending waits for a pattern not seen reject now. */
  end(): void;
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects on end or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

export function watchOutput(label: string): OutputWatch {
  let output = '';
  let ended = false;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  return {
    append(chunk) {
      output += chunk.toString('utf8');
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    output: () => output,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) done(() => resolve(match));
          else if (ended) done(() => reject(new Error(`\`${label}\` exited:\n${tail(output)}`)));
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(new Error(`\`${label}\`: no ${pattern} in ${timeoutMs} ms:\n${tail(output)}`)),
            ),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Starts a long-running `command` (a server, a watcher) in the background. */
export function background(command: string, options: ShellOptions): Background {
  const child = spawnShell(command, options);
  const watch = watchOutput(command);
  child.stdout?.on('data', watch.append);
  child.stderr?.on('data', watch.append);
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => {
      watch.end();
      resolve(code);
    });
  });
  return {
    command,
    output: watch.output,
    exited,
    waitFor: watch.waitFor,
    stop: () => stopGroup(child, exited),
  };
}

export function tail(text: string, length = 4000): string {
  return text.length > length ? `…${text.slice(-length)}` : text;
}

/** A TCP port nobody listens on right now (the kernel's pick for port 0). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
