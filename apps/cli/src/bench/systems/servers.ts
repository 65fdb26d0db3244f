import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchModule, serverMain } from '../support/paths.js';
import type { Child, ProcessGroup } from '../support/procs.js';

export type BaselineKind = 'ws' | 'peerjs' | 'socketio' | 'ceiling';

export interface RunningServer {
  child: Child;
  url: string;
  /** Milliseconds from spawn to ready. */
  readyMs: number;
}

export interface CryptwebServer extends RunningServer {
  mailFile: string;
  dataDir: string;
}

const READY_TIMEOUT_MS = 60_000;

/** Starts a baseline (systems/baseline-server) as its own process and waits for its port. */
export async function startBaseline(
  group: ProcessGroup,
  kind: BaselineKind,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const { file, execArgv } = benchModule('systems/baseline-server');
  const started = performance.now();
  const child = group.start(`baseline-${kind}`, file, { args: [kind], env, execArgv, ipc: true });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${kind} baseline not ready: ${child.output()}`)),
      READY_TIMEOUT_MS,
    );
    child.process.on('message', (message: { listening?: number }) => {
      if (typeof message.listening !== 'number') return;
      clearTimeout(timer);
      resolve(message.listening);
    });
    void child.exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${kind} baseline exited (${code}): ${child.output()}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}`, readyMs: performance.now() - started };
}

export interface CryptwebOptions {
  /** PostgreSQL connection string; unset → PGlite in `dataDir`. */
  databaseUrl?: string | undefined;
  /** Reuse a data directory (a restart on PGlite); a fresh temporary one otherwise. */
  dataDir?: string;
  jwtSecret: string;
  bcryptCost: number;
  rateLimits: Record<string, unknown>;
  label: string;
  /** Extra node flags (e.g. --cpu-prof). */
  execArgv?: string[];
}

const tempDirs = new Set<string>();

/** A temporary directory removed when the process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `cryptweb-bench-${prefix}-`));
  if (tempDirs.size === 0) {
    process.once('exit', () => {
      for (const each of tempDirs) rmSync(each, { recursive: true, force: true });
    });
  }
  tempDirs.add(dir);
  return dir;
}

/** Starts `node apps/server/dist/main.js` and waits for its "listening" log line. */
export async function startCryptweb(
  group: ProcessGroup,
  options: CryptwebOptions,
): Promise<CryptwebServer> {
  const dataDir = options.dataDir ?? tempDir(options.label);
  const mailFile = path.join(dataDir, 'mail.jsonl');
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JWT_SECRET: options.jwtSecret,
    BCRYPT_COST: String(options.bcryptCost),
    MAIL_TRANSPORT: 'file',
    MAIL_FILE: mailFile,
    STUN_URLS: '',
    // The default level: the readiness line is an info line, and request logs are a real cost.
    LOG_LEVEL: 'info',
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    RATE_LIMITS: JSON.stringify(options.rateLimits),
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
  };
  const started = performance.now();
  let text = '';
  let onReady: ((url: string) => void) | undefined;
  const child = group.start(`cryptweb-${options.label}`, serverMain, {
    args: [],
    env,
    cwd: dataDir,
    execArgv: options.execArgv ?? [],
    onOutput(piece) {
      if (!onReady) return;
      // Only the head of the output matters; after "listening" the logs are drained, not kept.
      text = (text + piece).slice(-8192);
      const match = /"url":"(http:\/\/[^"]+)".*"msg":"listening"/.exec(text);
      if (match?.[1]) {
        onReady(match[1]);
        onReady = undefined;
      }
    },
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`CryptWeb (${options.label}) not ready: ${child.output()}`)),
      READY_TIMEOUT_MS,
    );
    onReady = (found) => {
      clearTimeout(timer);
      resolve(found);
    };
    void child.exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`CryptWeb (${options.label}) exited (${code}): ${child.output()}`));
    });
  });
  return { child, url, readyMs: performance.now() - started, mailFile, dataDir };
}
