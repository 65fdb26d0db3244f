import type { TransferProgress } from '@cryptweb/client';
import { useId } from 'preact/hooks';
import { formatBytes } from '../format.js';

/** A labelled progress bar with the bytes, the rate and the time left in words. */
export function TransferBar({ label, progress }: { label: string; progress: TransferProgress }) {
  const id = useId();
  const eta = Number.isFinite(progress.etaSeconds)
    ? `, ${Math.ceil(progress.etaSeconds)} s left`
    : '';
  return (
    <div class="progress">
      <label for={id}>{label}</label>
      <progress id={id} max={progress.total || 1} value={progress.bytes} />
      <p class="hint">
        {formatBytes(progress.bytes)} of {formatBytes(progress.total)} ·{' '}
        {formatBytes(Math.round(progress.rate))}/s{eta}
      </p>
    </div>
  );
}
