import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendJson } from './http.js';

/** The browser app's build output (`pnpm build` in apps/web), same depth from src/ and dist/. */
export const WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));
export const APP_PREFIX = '/app';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

/** What `serveApp` needs beyond the request. */
export interface ServeAppOptions {
  /** `APP_URL`: the app's WebSocket (`/trpc`) is at its origin. */
  appUrl: string;
  /** The build folder (tests serve a folder of their own). */
  root?: string;
}

/**
 * The Content-Security-Policy of the app (SPEC §6.1): only its own scripts (no inline script, no
 * eval), connections to its own origin and the WebSocket at APP_URL's, images also from data: and
 * blob: URLs, no plugins, no framing, no <base>, forms only to itself.
 */
export function contentSecurityPolicy(appUrl: string): string {
  const url = new URL(appUrl);
  const socket = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${socket}`,
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/** The security headers of every answer under /app/, made once per APP_URL (it never changes). */
let securityHeaders: { appUrl: string; headers: Record<string, string> } | undefined;
function headersFor(appUrl: string): Record<string, string> {
  if (securityHeaders?.appUrl !== appUrl) {
    securityHeaders = {
      appUrl,
      headers: {
        'content-security-policy': contentSecurityPolicy(appUrl),
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
      },
    };
  }
  return securityHeaders.headers;
}

async function fileAt(file: string) {
  try {
    const info = await stat(file);
    return info.isFile() ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves the built web app under /app/: files by path (never outside the build folder), and
 * index.html for any other path so client-side routes such as /app/reset-password work. Every
 * answer, errors and redirects included, carries the security headers.
 */
export async function serveApp(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  { appUrl, root = WEB_ROOT }: ServeAppOptions,
) {
  for (const [name, value] of Object.entries(headersFor(appUrl))) res.setHeader(name, value);
  if (pathname === APP_PREFIX) {
    res.writeHead(308, { location: `${APP_PREFIX}/` });
    res.end();
    return;
  }
  let relative: string;
  try {
    relative = decodeURIComponent(pathname.slice(APP_PREFIX.length + 1));
  } catch {
    sendJson(res, 400, { error: { code: 'BAD_REQUEST', message: 'Malformed path' } });
    return;
  }
  const resolved = path.resolve(root, relative);
  const inside = resolved === root || resolved.startsWith(`${root}${path.sep}`);
  let file = inside && relative !== '' ? resolved : path.join(root, 'index.html');
  let info = await fileAt(file);
  const isAsset = relative.startsWith('assets/');
  if (!info && !isAsset) {
    file = path.join(root, 'index.html');
    info = await fileAt(file);
  }
  if (!info) {
    sendJson(res, 404, {
      error: { code: 'NOT_FOUND', message: 'The web app is not built: run `pnpm build`' },
    });
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
    // Hashed asset names never change content; the page itself is always revalidated.
    'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}
