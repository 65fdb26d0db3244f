import {
  type FileMeta,
  fileSourceFromBlob,
  type Peer,
  receiveFile,
  sendFile,
  type TransferProgress,
} from '@cryptweb/client';
import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useAuth } from './auth.js';
import { describeError } from './errors.js';
import { createPeerConnection, memorySink, sendFailure, throttle } from './transfer-helpers.js';

/** The sender waits 60 s for an answer (SDK default); an unanswered offer expires a little before. */
const OFFER_EXPIRES_MS = 55_000;

export type Incoming =
  | { phase: 'waiting' }
  | { phase: 'offer'; from: Peer; respond: (accept: boolean) => void }
  | { phase: 'receiving'; from: Peer; meta: FileMeta | null; progress: TransferProgress | null }
  | { phase: 'failed'; message: string };

export interface ReceivedFile {
  id: number;
  name: string;
  size: number;
  /** A Blob URL (application/octet-stream) to download the file from; revoked on sign-out. */
  url: string;
  from: Peer;
  sha256: string;
}

export type Outgoing =
  | { phase: 'idle' }
  | { phase: 'connecting'; to: string; name: string }
  | { phase: 'sending'; to: string; name: string; progress: TransferProgress }
  | { phase: 'done'; to: string; name: string; size: number; timeElapsed: number }
  | { phase: 'failed'; to: string; name: string; message: string };

export interface Transfers {
  /** Whether this device's signaling subscription is up (it can receive). */
  link: 'connecting' | 'online' | 'offline';
  incoming: Incoming;
  received: ReceivedFile[];
  outgoing: Outgoing;
  send(to: string, file: File): Promise<void>;
  /** Bumped after each finished transfer: history, stats and contacts reload on it. */
  version: number;
}

const TransfersContext = createContext<Transfers | null>(null);

/** The transfers of a signed-in device, or null when signed out. */
export function useOptionalTransfers(): Transfers | null {
  return useContext(TransfersContext);
}

export function useTransfers(): Transfers {
  const transfers = useContext(TransfersContext);
  if (!transfers) throw new Error('useTransfers needs <TransfersProvider>');
  return transfers;
}

/**
 * While signed in: this device's signaling subscription, the loop that receives files (asking the
 * person first), the one outgoing transfer, and noticing when the session is revoked elsewhere.
 */
export function TransfersProvider({ children }: { children: ComponentChildren }) {
  const auth = useAuth();
  const { client, verifySession, reconnect } = auth;
  const [link, setLink] = useState<Transfers['link']>('connecting');
  const [incoming, setIncoming] = useState<Incoming>({ phase: 'waiting' });
  const [received, setReceived] = useState<ReceivedFile[]>([]);
  const [outgoing, setOutgoing] = useState<Outgoing>({ phase: 'idle' });
  const [version, setVersion] = useState(0);
  const urls = useRef<string[]>([]);

  useEffect(() => {
    const stop = new AbortController();
    let watch: ReturnType<typeof setInterval> | undefined;
    let nextId = 1;

    const receiveOne = async () => {
      let blob: Blob | undefined;
      const result = await receiveFile({
        client,
        createPeerConnection,
        signal: stop.signal,
        accept: (from) =>
          new Promise<boolean>((resolve) => {
            const respond = (accept: boolean) => {
              clearTimeout(expiry);
              stop.signal.removeEventListener('abort', decline);
              setIncoming(
                accept
                  ? { phase: 'receiving', from, meta: null, progress: null }
                  : { phase: 'waiting' },
              );
              resolve(accept);
            };
            const decline = () => respond(false);
            const expiry = setTimeout(decline, OFFER_EXPIRES_MS);
            stop.signal.addEventListener('abort', decline);
            setIncoming({ phase: 'offer', from, respond });
          }),
        sink: (meta, from) => {
          setIncoming({ phase: 'receiving', from, meta, progress: null });
          return memorySink((whole) => {
            blob = whole;
          });
        },
        onProgress: throttle((progress) =>
          setIncoming((state) => (state.phase === 'receiving' ? { ...state, progress } : state)),
        ),
      });
      if (blob) {
        const url = URL.createObjectURL(blob);
        urls.current.push(url);
        const file: ReceivedFile = {
          id: nextId++,
          name: result.meta.name,
          size: result.bytes,
          url,
          from: result.from,
          sha256: result.sha256,
        };
        setReceived((list) => [file, ...list]);
      }
      setIncoming({ phase: 'waiting' });
      setVersion((v) => v + 1);
    };

    void (async () => {
      let connection: Awaited<ReturnType<typeof client.signaling.connect>>;
      try {
        connection = await client.signaling.connect();
      } catch {
        setLink('offline');
        if (await verifySession()) setTimeout(() => !stop.signal.aborted && reconnect(), 3000);
        return;
      }
      setLink('online');
      // The SDK records a subscription's end in `error`: a revoked session ends it within 1 s.
      watch = setInterval(() => {
        if (!connection.error || stop.signal.aborted) return;
        clearInterval(watch);
        setLink('offline');
        void verifySession().then((alive) => {
          if (alive) setTimeout(() => !stop.signal.aborted && reconnect(), 3000);
        });
      }, 500);
      while (!stop.signal.aborted) {
        try {
          await receiveOne();
        } catch (error) {
          if (stop.signal.aborted) break;
          const message = error instanceof Error ? error.message : String(error);
          setIncoming({ phase: 'failed', message: `Receiving the file failed: ${message}.` });
        }
      }
    })();

    return () => {
      stop.abort();
      clearInterval(watch);
    };
  }, [client, verifySession, reconnect]);

  // Received files live in memory until the device signs out.
  useEffect(
    () => () => {
      for (const url of urls.current) URL.revokeObjectURL(url);
    },
    [],
  );

  const send = useCallback(
    async (to: string, file: File) => {
      setOutgoing({ phase: 'connecting', to, name: file.name });
      try {
        const result = await sendFile({
          client,
          to,
          file: fileSourceFromBlob(file),
          createPeerConnection,
          onProgress: throttle((progress) =>
            setOutgoing({ phase: 'sending', to, name: file.name, progress }),
          ),
        });
        setOutgoing({
          phase: 'done',
          to,
          name: file.name,
          size: result.bytes,
          timeElapsed: result.timeElapsed,
        });
        setVersion((v) => v + 1);
      } catch (error) {
        setOutgoing({ phase: 'failed', to, name: file.name, message: sendFailure(error, to) });
        if (describeError(error).sessionGone) await verifySession();
      }
    },
    [client, verifySession],
  );

  const value = useMemo<Transfers>(
    () => ({ link, incoming, received, outgoing, send, version }),
    [link, incoming, received, outgoing, send, version],
  );
  return <TransfersContext.Provider value={value}>{children}</TransfersContext.Provider>;
}
