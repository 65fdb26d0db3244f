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
 * index.html for any other path so client-side routes such as /app/reset-password work.
 */
export async function serveApp(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  root = WEB_ROOT,
) {
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
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}
