import type { TransferProgress } from '@cryptweb/client';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * A one-line progress bar (bytes, rate, ETA) redrawn on stderr at most 10 times a second; silent
 * when stderr is not a terminal or JSON output was asked for.
 */
export function progressBar(label: string, enabled: boolean) {
  let last = 0;
  const draw = (p: TransferProgress, final = false) => {
    if (!enabled) return;
    const now = Date.now();
    if (!final && now - last < 100) return;
    last = now;
    const width = 24;
    const ratio = p.total > 0 ? Math.min(1, p.bytes / p.total) : 1;
    const filled = Math.round(ratio * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = `${label} ${bar} ${(ratio * 100).toFixed(0).padStart(3)}%  ${formatBytes(p.bytes)}/${formatBytes(p.total)}  ${formatBytes(p.rate)}/s  ETA ${formatEta(p.etaSeconds)}`;
    process.stderr.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
  };
  return {
    update: (p: TransferProgress) => draw(p),
    done: (p: TransferProgress) => draw(p, true),
  };
}
