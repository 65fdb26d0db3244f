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

/** What a page's security looked like to the test: CSP violations and the app's documents. */
export interface SecurityWatch {
  /** Every Content-Security-Policy violation the page reported, across navigations. */
  violations: string[];
  /** The headers of every document the page loaded from under /app/. */
  documents: { url: string; headers: Record<string, string> }[];
}

/**
 * Watches a page for what SPEC §6.1 asks of the browser app: the page reports each CSP violation
 * (the `securitypolicyviolation` event, and Chromium's console message), and each document's
 * headers are kept. It also notes the type of every Blob the app turns into a URL
 * (`window.cryptwebBlobTypes`), so a test can tell what a download link hands over.
 */
export async function watchSecurity(page: Page, label: string): Promise<SecurityWatch> {
  const watch: SecurityWatch = { violations: [], documents: [] };
  await page.exposeFunction('cryptwebReportViolation', (line: string) => {
    watch.violations.push(`[${label}] ${line}`);
  });
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) {
      watch.violations.push(`[${label}] console: ${message.text()}`);
    }
  });
  page.on('response', (response) => {
    const request = response.request();
    if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return;
    if (!new URL(response.url()).pathname.startsWith('/app/') || response.status() !== 200) return;
    watch.documents.push({ url: response.url(), headers: response.headers() });
  });
  await page.addInitScript(() => {
    const global = window as unknown as {
      cryptwebReportViolation(line: string): Promise<void>;
      cryptwebBlobTypes: Record<string, string>;
    };
    window.addEventListener(
      'securitypolicyviolation',
      (event) => {
        void global.cryptwebReportViolation(
          `${event.effectiveDirective} blocked ${event.blockedURI}`,
        );
      },
      true,
    );
    global.cryptwebBlobTypes = {};
    const createObjectURL = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (object: Blob | MediaSource) => {
      const url = createObjectURL(object);
      if (object instanceof Blob) global.cryptwebBlobTypes[url] = object.type;
      return url;
    };
  });
  return watch;
}

/** The type of the Blob behind a Blob URL the app made (see `watchSecurity`). */
export function blobTypeOf(page: Page, url: string): Promise<string | undefined> {
  return page.evaluate(
    (blobUrl) =>
      (window as unknown as { cryptwebBlobTypes: Record<string, string> }).cryptwebBlobTypes[
        blobUrl
      ],
    url,
  );
}

/**
 * Everything page script can read of the session: `document.cookie` and both Web Storages, as
 * one text per place.
 */
export function readableByScript(page: Page) {
  return page.evaluate(() => {
    const dump = (storage: Storage) =>
      Array.from({ length: storage.length }, (_, i) => {
        const key = storage.key(i) ?? '';
        return `${key}=${storage.getItem(key) ?? ''}`;
      }).join('\n');
    return {
      cookie: document.cookie,
      localStorage: dump(window.localStorage),
      sessionStorage: dump(window.sessionStorage),
    };
  });
}
