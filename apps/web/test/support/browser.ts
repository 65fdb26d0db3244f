import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../../../..');
export const SCREENSHOTS = path.resolve(here, '../screenshots');

/** Debian's Chromium (apt-get install chromium): never a browser download. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Builds the app (and the SDK it bundles) through turbo, so an unchanged build is a cache hit and
 * a changed one is never tested stale. The server serves apps/web/dist under /app/.
 */
export async function buildWebApp(): Promise<void> {
  await run(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@cryptweb/web', '--output-logs=errors-only'],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  if (!existsSync(path.join(REPO_ROOT, 'apps/web/dist/index.html'))) {
    throw new Error(
      '`turbo run build --filter=@cryptweb/web` did not produce apps/web/dist/index.html',
    );
  }
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. Install Debian's package: ` +
        '`apt-get update && apt-get install -y chromium` (.ci/run does this); set CHROMIUM_PATH for another path.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      // Without these Chromium keeps calling Google's hosts, which this closed network refuses.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Host candidates as plain IPs, not mDNS .local names: resolving those takes multicast
      // queries on the network, which must not leave this machine. The two contexts then pair on
      // this machine's own interface address, which the kernel delivers locally.
      '--disable-features=WebRtcHideLocalIpsWithMdns',
    ],
  });
}

/** Saves a screenshot of the visible page to apps/web/test/screenshots/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Collects a page's console errors and uncaught exceptions, to print when a step fails. */
export function pageLog(page: Page, label: string): string[] {
  const lines: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      lines.push(`[${label}] console.${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => lines.push(`[${label}] pageerror: ${error.message}`));
  return lines;
}
