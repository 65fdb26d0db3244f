import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const cliEntry = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node apps/cli/dist/main.js …args` without colours and with stdin closed (no prompts). */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [cliEntry, ...args],
      {
        env: { ...process.env, NO_COLOR: '1', CRYPTWEB_PASSWORD: undefined, ...env },
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && code === -1) reject(new Error(`${error.message}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}
