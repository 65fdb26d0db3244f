import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { Endpoint, Protocol } from './messages.js';

/**
 * An ICE candidate as browsers send it (~250 bytes on the wire). The marker (step and send time)
 * rides in `usernameFragment`, a field every system forwards untouched.
 */
const CANDIDATE =
  'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.5 rport 46154 generation 0 ufrag EEtu network-id 3 network-cost 10';
const candidateJson = (marker: string) =>
  `{"candidate":"${CANDIDATE}","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"${marker}"}`;
const MARK = '"usernameFragment":"';

/** Pulls the marker out of a relayed frame without a JSON parse (the receive hot path). */
function markerOf(text: string): string | undefined {
  const at = text.indexOf(MARK);
  if (at < 0) return undefined;
  const start = at + MARK.length;
  return text.slice(start, text.indexOf('"', start));
}

export interface ClientHandlers {
  /** A relayed ICE candidate arrived carrying `marker`. */
  onRelay(marker: string): void;
  /** The system answered a send (tRPC answers every send, the others only failures). */
  onReply(outcome: 'delivered' | 'undelivered' | 'rejected', error?: string): void;
}

export interface ClientConn {
  /** What other clients put in `to` to reach this one. */
  readonly address: string;
  sendCandidate(to: string, marker: string): void;
  close(): void;
}

interface Dialect<T> {
  path: string;
  onOpen?(ws: WebSocket): void;
  /** Looks at frames until the connection is usable: a value, an Error, or undefined to wait. */
  ready(text: string, ws: WebSocket): T | Error | undefined;
  /** Every frame after ready. */
  onText(text: string, ws: WebSocket): void;
}

const zeroMask = (mask: Buffer) => {
  mask.fill(0);
};

function open<T>(url: string, dialect: Dialect<T>, timeoutMs: number) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${dialect.path}`, {
    perMessageDeflate: false,
    // An all-zero mask is valid and lets ws skip masking: load-generator CPU goes to the systems.
    generateMask: zeroMask,
  });
  return new Promise<{ ws: WebSocket; value: T }>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
    ws.on('error', fail);
    ws.on('close', (code) => fail(new Error(`closed (${code}) before it was ready`)));
    ws.on('open', () => dialect.onOpen?.(ws));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (settled) return dialect.onText(text, ws);
      const value = dialect.ready(text, ws);
      if (value instanceof Error) return fail(value);
      if (value === undefined) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ws, value });
    });
  });
}

/** CryptWeb: tRPC's WebSocket protocol by hand, as wsLink speaks it, superjson `{json}` inputs. */
function trpc(token: string, handlers: ClientHandlers): Dialect<string> {
  return {
    path: '/trpc?connectionParams=1',
    onOpen(ws) {
      ws.send(JSON.stringify({ method: 'connectionParams', data: { accessToken: token } }));
      ws.send(
        '{"id":1,"method":"subscription","params":{"path":"signaling.events","input":{"json":null}}}',
      );
    },
    ready(text, ws) {
      if (text === 'PING') return void ws.send('PONG');
      if (!text.startsWith('{"id":1,')) return undefined;
      const message = JSON.parse(text) as {
        result?: { data?: { json?: { type?: string; peerId?: string } } };
        error?: { message?: string };
      };
      if (message.error) return new Error(`subscription refused: ${message.error.message}`);
      const event = message.result?.data?.json;
      return event?.type === 'ready' ? event.peerId : undefined;
    },
    onText(text, ws) {
      const marker = markerOf(text);
      if (marker !== undefined) return handlers.onRelay(marker);
      if (text === 'PING') return ws.send('PONG');
      if (text.startsWith('{"id":1,')) {
        if (text.includes('"error"')) handlers.onReply('rejected', `subscription ended: ${text}`);
        return;
      }
      if (text.includes('"error"')) {
        const message = /"message":"([^"]*)"/.exec(text)?.[1] ?? text.slice(0, 200);
        return handlers.onReply('rejected', message);
      }
      handlers.onReply(text.includes('"delivered":false') ? 'undelivered' : 'delivered');
    },
  };
}

/** The minimal relay: `?id=` names the client, `{to, …}` in, `{from, …}` out. */
function raw(name: string, handlers: ClientHandlers): Dialect<true> {
  return {
    path: `/?id=${encodeURIComponent(name)}`,
    ready: (text) => (text === 'ready' ? true : undefined),
    onText(text) {
      const marker = markerOf(text);
      if (marker !== undefined) handlers.onRelay(marker);
    },
  };
}

/** The PeerJS server's own socket protocol (what the `peerjs` client library sends). */
function peerjs(name: string, handlers: ClientHandlers): Dialect<true> {
  const token = randomBytes(8).toString('hex');
  return {
    path: `/peerjs?key=peerjs&id=${encodeURIComponent(name)}&token=${token}`,
    ready(text) {
      if (text.includes('"OPEN"')) return true;
      if (text.includes('"ERROR"') || text.includes('"ID-TAKEN"')) return new Error(text);
      return undefined;
    },
    onText(text) {
      const marker = markerOf(text);
      if (marker !== undefined) return handlers.onRelay(marker);
      if (text.includes('"ERROR"')) handlers.onReply('rejected', text.slice(0, 200));
    },
  };
}

/** Engine.IO v4 / Socket.IO v5 framing by hand: `0` open, `40` connect, `42[event, data]`, `2`/`3` ping. */
function socketio(name: string, handlers: ClientHandlers): Dialect<true> {
  return {
    path: '/socket.io/?EIO=4&transport=websocket',
    ready(text, ws) {
      if (text.startsWith('0{')) return void ws.send('40');
      if (text === '2') return void ws.send('3');
      if (text.startsWith('44')) return new Error(`connect refused: ${text}`);
      if (!text.startsWith('40')) return undefined;
      ws.send(`42["register",${JSON.stringify({ email: name, name })}]`);
      return true;
    },
    onText(text, ws) {
      const marker = markerOf(text);
      if (marker !== undefined) return handlers.onRelay(marker);
      if (text === '2') return ws.send('3');
      if (text.startsWith('42["user-status"')) handlers.onReply('undelivered');
    },
  };
}

const senders: Record<Protocol, (self: string) => (to: string, marker: string) => string> = {
  trpc: () => {
    let id = 1;
    return (to, marker) => {
      id += 1;
      return `{"id":${id},"method":"mutation","params":{"path":"signaling.sendIceCandidate","input":{"json":{"to":{"peerId":"${to}"},"candidate":${candidateJson(marker)}}}}}`;
    };
  },
  ws: () => (to, marker) =>
    `{"to":"${to}","type":"ice-candidate","candidate":${candidateJson(marker)}}`,
  peerjs: () => (to, marker) =>
    `{"type":"CANDIDATE","dst":"${to}","payload":{"candidate":${candidateJson(marker)},"type":"data","connectionId":"dc_bench"}}`,
  socketio: (self) => (to, marker) =>
    `42["ice-candidate",{"from":"${self}","to":"${to}","candidate":${candidateJson(marker)}}]`,
};

/** Connects one client and resolves once the system has it registered and ready to relay. */
export async function connect(
  endpoint: Endpoint,
  handlers: ClientHandlers,
  timeoutMs: number,
): Promise<ClientConn> {
  let address: string;
  let ws: WebSocket;
  if (endpoint.protocol === 'trpc') {
    if (!endpoint.token) throw new Error('a CryptWeb client needs an access token');
    const opened = await open(endpoint.url, trpc(endpoint.token, handlers), timeoutMs);
    ws = opened.ws;
    address = opened.value;
  } else {
    const dialects = { ws: raw, peerjs, socketio } as const;
    const opened = await open(
      endpoint.url,
      dialects[endpoint.protocol](endpoint.name, handlers),
      timeoutMs,
    );
    ws = opened.ws;
    address = endpoint.name;
  }
  ws.on('error', () => {});
  const frame = senders[endpoint.protocol](address);
  return {
    address,
    sendCandidate: (to, marker) => ws.send(frame(to, marker)),
    close: () => ws.terminate(),
  };
}
