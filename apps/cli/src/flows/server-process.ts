import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../lib/errors.js';

/**
 * The server's build inside this workspace: apps/server/dist/main.js, the same depth from
 * apps/cli/src/flows and apps/cli/dist/flows. A path rather than a package dependency: the CLI
 * must not pull the server into its own dependencies just to find a file next to it.
 */
export const serverEntry = fileURLToPath(new URL('../../../server/dist/main.js', import.meta.url));

/** Limits high enough for any number of e2e runs; the flows check behaviour, not the limits. */
const GENEROUS = { max: 100_000, windowSeconds: 60 };
export const E2E_RATE_LIMITS = JSON.stringify({
  'signIn.emailIp': GENEROUS,
  'signIn.email': GENEROUS,
  'signIn.device': GENEROUS,
  'signIn.ip': GENEROUS,
  'signUp.ip': GENEROUS,
  'verifyEmail.ip': GENEROUS,
  'verifyEmail.email': GENEROUS,
  'resendVerification.email': GENEROUS,
  'resendVerification.ip': GENEROUS,
  'forgotPassword.email': GENEROUS,
  'forgotPassword.ip': GENEROUS,
  'reauth.user': GENEROUS,
  'verifyMfa.ip': GENEROUS,
  'health.ip': GENEROUS,
  'deviceStart.ip': GENEROUS,
  'deviceApprove.user': GENEROUS,
  'changeEmail.user': GENEROUS,
  'changeEmail.email': GENEROUS,
  'signaling.peer': { perSecond: 10_000, burst: 10_000 },
});

export interface SpawnedServer {
  url: string;
  mailFile: string;
  dataDir: string;
  driver: string;
  /** The tail of what the server logged, for failure reports. */
  output(): string;
  /** SIGTERM, SIGKILL after 10 s, then the temporary directory is removed. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Run on this PostgreSQL instead of an embedded PGlite in the temporary directory. */
  databaseUrl?: string;
  /** Extra environment for the server (overrides the defaults above). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Starts `node apps/server/dist/main.js` on port 0 with a fresh data directory and file mail. */
export async function spawnServer(options: SpawnOptions = {}): Promise<SpawnedServer> {
  if (!existsSync(serverEntry)) {
    throw new CliError(
      `the server is not built (${serverEntry} is missing)`,
      'run `pnpm build` at the repository root, or pass --url to test a running server',
    );
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'cryptweb-e2e-'));
  const mailFile = join(dataDir, 'mail.jsonl');
  // A clean environment: a DATABASE_URL or MAIL_TRANSPORT of the caller's must not leak in.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    ...(process.env.SYSTEMROOT ? { SYSTEMROOT: process.env.SYSTEMROOT } : {}),
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    MAIL_TRANSPORT: 'file',
    MAIL_FILE: mailFile,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'info',
    RATE_LIMITS: E2E_RATE_LIMITS,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  };
  // cwd is the temporary directory so that no `.env` file of the caller's is loaded.
  const child = spawn(process.execPath, ['--enable-source-maps', serverEntry], {
    cwd: dataDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = async () => {
    await stopChild(child, exited);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const { url, driver } = await waitForListening(
      child,
      keep,
      exited,
      options.timeoutMs ?? 30_000,
    );
    return { url, driver, mailFile, dataDir, output: () => log, stop: cleanup };
  } catch (error) {
    await cleanup();
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(`the server did not start: ${message}\n${log.trim()}`);
  }
}

/** Reads the JSON log lines on stdout until `{"msg":"listening","url":…}`. */
function waitForListening(
  child: ChildProcess,
  keep: (chunk: Buffer) => void,
  exited: Promise<void>,
  timeoutMs: number,
): Promise<{ url: string; driver: string }> {
  return new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(
      () => reject(new Error(`no "listening" line in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const entry = parseLine(line);
        if (entry?.msg === 'listening' && typeof entry.url === 'string') {
          clearTimeout(timer);
          resolve({ url: entry.url, driver: typeof entry.driver === 'string' ? entry.driver : '' });
        }
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the process exited (code ${child.exitCode ?? child.signalCode})`));
    });
  });
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value instanceof Object ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
