import { execFileSync, spawn } from 'node:child_process';
import { cliEntry } from './cli.js';
import { watchOutput } from './shell.js';

/** util-linux `script` gives a command a pseudo-terminal; without it these tests cannot prompt. */
export const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface TerminalRun {
  /** Everything the command wrote to the terminal so far (stdout and stderr share it). */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Types `text` and Enter, as a person at the keyboard would. */
  type(text: string): void;
  /** The command's exit code. */
  readonly exited: Promise<number | null>;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `node apps/cli/dist/main.js …args` on a pseudo-terminal, so stdin is a TTY and the CLI
 * prompts as it does for a person; the test reads the screen and types the answers.
 */
export function runCliInTerminal(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
): TerminalRun {
  const command = [process.execPath, cliEntry, ...args].map(quote).join(' ');
  // -e: the command's exit code; -f: flush at once, so a prompt shows before it is answered.
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    env: { ...process.env, NO_COLOR: '1', CRYPTWEB_PASSWORD: undefined, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const watch = watchOutput(`cryptweb ${args.join(' ')}`);
  child.stdout.on('data', watch.append);
  child.stderr.on('data', watch.append);
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => {
      clearTimeout(killer);
      child.stdin.end();
      watch.end();
      resolve(code);
    });
  });
  return {
    output: watch.output,
    exited,
    type(text) {
      child.stdin.write(`${text}\r`);
    },
    waitFor: (pattern, waitMs = 30_000) => watch.waitFor(pattern, waitMs),
  };
}
