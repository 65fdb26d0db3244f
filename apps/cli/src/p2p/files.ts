import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileMeta, FileSink, FileSource } from '@cryptweb/client';

const TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.zip': 'application/zip',
  '.mp4': 'video/mp4',
};

/** A file on disk as a transfer source, streamed in 64 KiB reads. */
export async function fileSource(file: string): Promise<FileSource> {
  const info = await stat(file);
  if (!info.isFile()) throw new Error(`${file} is not a regular file`);
  return {
    name: path.basename(file),
    size: info.size,
    type: TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    async *chunks() {
      for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
        yield chunk as Buffer;
      }
    },
  };
}

/** A name in `dir` for `wanted` that does not exist yet: `a.txt`, `a (1).txt`, … */
async function freeName(dir: string, wanted: string): Promise<string> {
  // The sender chooses the name: keep only its last path segment, never `..` or a hidden path.
  const base = path.basename(wanted).replace(/^\.+/, '') || 'received-file';
  const ext = path.extname(base);
  const stem = base.slice(0, base.length - ext.length);
  for (let i = 0; ; i++) {
    const candidate = path.join(dir, i === 0 ? base : `${stem} (${i})${ext}`);
    const exists = await stat(candidate).then(
      () => true,
      () => false,
    );
    if (!exists) return candidate;
  }
}

/** Writes into a `.part` file and renames it only once the checksum matched. */
export async function fileSink(dir: string, meta: FileMeta): Promise<FileSink & { path: string }> {
  await mkdir(dir, { recursive: true });
  const target = await freeName(dir, meta.name);
  const part = `${target}.part`;
  const stream: WriteStream = createWriteStream(part, { flags: 'wx' });
  const write = (chunk: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      stream.write(chunk, (error) => (error ? reject(error) : resolve()));
    });
  const end = () => new Promise<void>((resolve) => stream.end(() => resolve()));
  return {
    path: target,
    write,
    async close() {
      await end();
      await rename(part, target);
    },
    async abort() {
      await end();
      await rm(part, { force: true });
    },
  };
}
