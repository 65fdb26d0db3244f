import { formatBytes } from '../format.js';
import { useTransfers } from '../transfers.js';
import { TransferBar } from './progress.js';

/**
 * Files coming to this device, on every page: the offer to accept or decline, the progress, and
 * the received files to save.
 */
export function Incoming() {
  const { incoming, received } = useTransfers();
  const latest = received[0];
  // One short sentence per change for screen readers; the bar itself is not a live region.
  const announcement =
    incoming.phase === 'receiving'
      ? `Receiving ${incoming.meta?.name ?? 'a file'} from ${incoming.from.name}.`
      : latest
        ? `Received ${latest.name} from ${latest.from.name}. Use its Save link to keep it.`
        : '';
  const visible = incoming.phase !== 'waiting' || received.length > 0;
  return (
    <>
      <p class="sr-only" role="status">
        {announcement}
      </p>
      {visible && (
        <section class="panel incoming" aria-labelledby="incoming-heading">
          <h2 id="incoming-heading">Incoming files</h2>
          {incoming.phase === 'offer' && (
            <div class="offer">
              <p role="alert">
                <strong>{incoming.from.name}</strong> ({incoming.from.email}) wants to send you a
                file.
              </p>
              <div class="actions">
                <button type="button" class="primary" onClick={() => incoming.respond(true)}>
                  Accept
                </button>
                <button type="button" onClick={() => incoming.respond(false)}>
                  Decline
                </button>
              </div>
            </div>
          )}
          {incoming.phase === 'receiving' &&
            (incoming.progress && incoming.meta ? (
              <TransferBar
                label={`Receiving ${incoming.meta.name} from ${incoming.from.name}`}
                progress={incoming.progress}
              />
            ) : (
              <p>Connecting to {incoming.from.name}…</p>
            ))}
          {incoming.phase === 'failed' && (
            <p class="alert alert-error" role="alert">
              {incoming.message}
            </p>
          )}
          {received.length > 0 && (
            <ul class="cards" aria-label="Received files">
              {received.map((file) => (
                <li key={file.id}>
                  <p>
                    <strong>{file.name}</strong> ({formatBytes(file.size)}) from {file.from.name}
                    <span class="muted"> · checksum verified</span>
                  </p>
                  {/* A download, never a navigation: the file must not open in the app's origin. */}
                  <a
                    class="button primary"
                    href={file.url}
                    download={file.name}
                    type="application/octet-stream"
                  >
                    Save {file.name}
                  </a>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </>
  );
}
