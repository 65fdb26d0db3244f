import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** True when this code runs from TypeScript sources (tsx or vitest) rather than the build. */
export const fromSources = import.meta.url.endsWith('.ts');

function findRepoRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 12; i += 1) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the repository root above ${start}`);
}

export const repoRoot = findRepoRoot(here);
export const serverRoot = path.join(repoRoot, 'apps', 'server');
export const serverMain = path.join(serverRoot, 'dist', 'main.js');
export const defaultResultsDir = path.join(repoRoot, 'bench', 'results');

/**
 * A child module of the bench (`load/generator`, `systems/baseline-server`), with the node
 * arguments that run it: sources need the tsx loader, the build runs as is.
 */
export function benchModule(relative: string): { file: string; execArgv: string[] } {
  const base = path.resolve(here, '..', relative);
  return fromSources
    ? { file: `${base}.ts`, execArgv: ['--import', 'tsx'] }
    : { file: `${base}.js`, execArgv: [] };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const time = entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs;
    if (time > newest) newest = time;
  }
  return newest;
}

/** Builds the server with its own tsc when `dist/main.js` is missing or older than `src`. */
export async function ensureServerBuilt(log: (line: string) => void): Promise<void> {
  const src = path.join(serverRoot, 'src');
  if (existsSync(serverMain) && statSync(serverMain).mtimeMs >= newestMtime(src)) return;
  log('building apps/server (dist is missing or stale)…');
  const tsc = createRequire(path.join(serverRoot, 'package.json')).resolve('typescript/bin/tsc');
  const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: serverRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 || !existsSync(serverMain)) {
    throw new Error(`building the server failed (exit ${code}):\n${output.slice(-4000)}`);
  }
}
