import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../..', import.meta.url));

/** The newest modification time of any file under `dir` (0 when it is missing). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** True when `output` is missing or older than a source file of the package. */
function stale(pkg: string, output: string): boolean {
  const built = join(root, pkg, output);
  return !existsSync(built) || statSync(built).mtimeMs < newest(join(root, pkg, 'src'));
}

function build(filter: string) {
  execFileSync('pnpm', ['--filter', filter, 'build'], { cwd: root, stdio: 'inherit' });
}

/**
 * The tests run the built CLI (`node apps/cli/dist/main.js`) and it spawns the built server: build
 * them once for every test file. The server and the SDK only when their sources changed.
 */
export default function setup() {
  if (stale('apps/server', 'dist/main.js')) build('@cryptweb/server');
  if (stale('packages/client', 'dist/index.js')) build('@cryptweb/client');
  build('@cryptweb/cli');
}
