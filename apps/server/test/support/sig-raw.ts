import superjson, { type SuperJSONResult } from 'superjson';
import WebSocket from 'ws';
import type { Json } from './http.js';
import type { TestServer } from './server.js';
import { until } from './sig-wait.js';

type ResultType = 'started' | 'data' | 'stopped';

/** A JSON-RPC reply from the tRPC ws adapter, its superjson payload decoded. */
export interface RawResponse {
  id: number | string | null;
  result?: { type: ResultType; data?: Json };
  error?: { message: string; code: number; data: Json };
}

/**
 * A bare `ws` client speaking tRPC's WebSocket protocol by hand, for what @trpc/client would
 * hide: not answering the server's keep-alive, not reading, oversized frames.
 */
export interface RawClient {
  readonly ws: WebSocket;
  /** Every text frame received, in order ("PING" included). */
  readonly frames: string[];
  readonly responses: RawResponse[];
  /** Resolves once the socket has closed, with when (`performance.now()`) and the close code. */
  readonly closed: Promise<{ code: number; at: number }>;
  isOpen(): boolean;
  send(message: unknown): void;
  /** Subscribes to `signaling.events` and resolves with the peer id of its `ready` event. */
  subscribeSignaling(id?: number, timeoutMs?: number): Promise<string>;
  /** The first reply to request `id` that is an error or carries data. */
  reply(id: number, timeoutMs?: number): Promise<RawResponse>;
  close(): void;
}

function decode(raw: string): RawResponse | undefined {
  let message: {
    id?: number | string | null;
    result?: { type: ResultType; data?: unknown };
    error?: unknown;
  };
  try {
    message = JSON.parse(raw) as typeof message;
  } catch {
    return undefined;
  }
  const response: RawResponse = { id: message.id ?? null };
  if (message.result) {
    const { type, data } = message.result;
    response.result =
      data === undefined
        ? { type }
        : { type, data: superjson.deserialize(data as SuperJSONResult) };
  }
  if (message.error !== undefined) {
    response.error = superjson.deserialize(message.error as SuperJSONResult);
  }
  return response;
}

/**
 * Opens a raw socket at `/trpc`. With `accessToken`, it announces connectionParams the way
 * wsLink does (`?connectionParams=1`, then a `connectionParams` message). With `answerPings`,
 * it answers the server's "PING" with "PONG" like @trpc/client; otherwise it stays silent.
 * `headers` go on the upgrade request (`origin`, `cookie`: what a browser sends). A refused
 * upgrade rejects with ws's "Unexpected server response: <status>".
 */
export async function openRawClient(
  server: TestServer,
  options: { accessToken?: string; answerPings?: boolean; headers?: Record<string, string> } = {},
): Promise<RawClient> {
  const base = `${server.url.replace(/^http/, 'ws')}/trpc`;
  const ws = new WebSocket(options.accessToken ? `${base}?connectionParams=1` : base, {
    headers: options.headers ?? {},
  });
  const frames: string[] = [];
  const responses: RawResponse[] = [];
  const closed = new Promise<{ code: number; at: number }>((resolve) => {
    ws.once('close', (code) => resolve({ code, at: performance.now() }));
  });
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const text = data.toString();
    frames.push(text);
    if (text === 'PING') {
      if (options.answerPings) ws.send('PONG');
      return;
    }
    const response = decode(text);
    if (response) responses.push(response);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (options.accessToken) {
    ws.send(
      JSON.stringify({ method: 'connectionParams', data: { accessToken: options.accessToken } }),
    );
  }
  const raw: RawClient = {
    ws,
    frames,
    responses,
    closed,
    isOpen: () => ws.readyState === WebSocket.OPEN,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async subscribeSignaling(id = 1, timeoutMs = 5000) {
      raw.send({
        id,
        method: 'subscription',
        params: { path: 'signaling.events', input: { json: null } },
      });
      const first = await raw.reply(id, timeoutMs);
      const data = first.result?.data;
      if (first.error || data?.type !== 'ready' || typeof data.peerId !== 'string') {
        throw new Error(`expected a ready event, got ${JSON.stringify(first)}`);
      }
      return data.peerId;
    },
    async reply(id, timeoutMs = 5000) {
      let found: RawResponse | undefined;
      await until(
        () => {
          found = responses.find(
            (r) => r.id === id && (r.error !== undefined || r.result?.type === 'data'),
          );
          return found !== undefined;
        },
        timeoutMs,
        `a reply to request ${id}`,
      );
      return found as RawResponse;
    },
    close: () => ws.terminate(),
  };
  return raw;
}
