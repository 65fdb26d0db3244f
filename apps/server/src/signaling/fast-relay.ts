import type { WebSocket } from 'ws';
import type { SocketContext } from '../context.js';
import { serialize } from '../wire.js';
import type { Peer, RelayedEvent, SignalingEvent } from './events.js';
import type { SignalingHub } from './hub.js';
import type { LocalPeer, SubscriptionWire } from './local-peer.js';
import { type RelayName, relays } from './relays.js';

/**
 * The signaling relay's hot path over the WebSocket, beside the tRPC adapter and byte-for-byte
 * what it would answer.
 *
 * A `signaling.send*` mutation whose socket already proved its session, whose sender and target
 * are both open on this instance, whose input is valid and within budget, is answered here: one
 * JSON.parse, one zod parse, the push to the target, one reply. Anything else (an email target, a
 * peer elsewhere, a bad input, an exhausted budget, an expired or revoked session) goes to tRPC
 * untouched, which does the full work and gives every error its usual shape. The conditions are
 * stable for a connection, so calls from one socket to one target never overtake each other.
 *
 * Events reach a subscriber without the adapter's async iteration too: once a peer's `ready` is
 * on the wire, its events are written to the socket as they arrive (`LocalPeer.writeDirectly`).
 */
const RELAYS = new Map<string, (typeof relays)[RelayName]>(
  Object.entries(relays).map(([name, relay]) => [`signaling.${name}`, relay]),
);

function replyHead(wire: SubscriptionWire): string {
  return `{"id":${JSON.stringify(wire.id)},${wire.jsonrpc ? '"jsonrpc":"2.0",' : ''}"result":{"type":"data","data":`;
}

/** Writes a peer's events as the tRPC adapter would: `{id, result: {type: "data", data}}`. */
export function eventWriter(
  socket: Pick<WebSocket, 'send'>,
  wire: SubscriptionWire,
): (event: SignalingEvent) => void {
  const head = replyHead(wire);
  return (event) => socket.send(`${head}${JSON.stringify(serialize(event))}}}`);
}

const DELIVERED = JSON.stringify(serialize({ delivered: true, peers: 1 }));

const OPEN_BRACE = 0x7b;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function handleMessage(socket: WebSocket, state: SocketContext, data: Buffer): boolean {
  // One call per message, and only text that names a relay procedure is worth parsing here; the
  // rest is tRPC's. A batch (an array) always goes to tRPC, which refuses it whole beyond
  // MAX_BATCH_SIZE before any of its calls runs (SPEC §6.1): relaying part of it here would
  // let a batch around the limit.
  if (data[0] !== OPEN_BRACE || data.indexOf('"signaling.send') === -1) return false;
  const session = state.provenSession();
  if (!session) return false;
  let message: unknown;
  try {
    message = JSON.parse(data.toString('utf8'));
  } catch {
    return false;
  }
  if (!isRecord(message) || message.method !== 'mutation') return false;
  const { id, params, jsonrpc } = message;
  if ((typeof id !== 'number' && typeof id !== 'string') || !isRecord(params)) return false;
  const relay = typeof params.path === 'string' ? RELAYS.get(params.path) : undefined;
  const input = params.input;
  // superjson's wire form of plain JSON is exactly `{ json }`; anything else (with `meta`, or
  // stray keys the strict input reader refuses) is tRPC's to decode or refuse.
  if (!relay || !isRecord(input) || Object.keys(input).length !== 1 || !('json' in input)) {
    return false;
  }
  const parsed = relay.input.safeParse(input.json);
  if (!parsed.success) return false;
  const { hub, connectionPeers } = state.ctx;
  // Each relay's input and event go together; the union of the three loses that pairing.
  const event = (relay.event as (input: unknown) => (from: Peer) => RelayedEvent)(parsed.data);
  if (!hub.relayLocally(session, connectionPeers, parsed.data.to, event)) {
    return false;
  }
  socket.send(`${replyHead({ id, jsonrpc: jsonrpc === '2.0' ? '2.0' : undefined })}${DELIVERED}}}`);
  return true;
}

/** The fast path's two hooks: a socket's incoming messages, and the adapter's encoder. */
export function createFastRelay(hub: SignalingHub, sockets: WeakMap<WebSocket, SocketContext>) {
  return {
    /** Offers each text message to the fast path before the tRPC adapter sees it. */
    attach(socket: WebSocket): void {
      const emit = socket.emit;
      socket.emit = function (this: WebSocket, event: string | symbol, ...args: unknown[]) {
        if (event === 'message' && args[1] === false && Buffer.isBuffer(args[0])) {
          const state = sockets.get(socket);
          if (state && handleMessage(socket, state, args[0])) return true;
        }
        return emit.call(this, event, ...args);
      } as WebSocket['emit'];
    },

    /**
     * The adapter's JSON encoder, which also notes the subscription id of every `ready` event so
     * that the peer's later events can be written without the adapter (see the events procedure).
     */
    encoder: {
      encode(message: unknown): string {
        const wire = readyWire(message);
        if (wire) {
          const peer: LocalPeer | undefined = hub.local.get(wire.peerId);
          if (peer) peer.wire = { id: wire.id, jsonrpc: wire.jsonrpc };
        }
        return JSON.stringify(message);
      },
      decode(data: string | ArrayBuffer | Uint8Array): unknown {
        if (typeof data !== 'string') throw new Error('expected a text frame');
        return JSON.parse(data);
      },
    },
  };
}

function readyWire(message: unknown): (SubscriptionWire & { peerId: string }) | undefined {
  if (!isRecord(message) || !isRecord(message.result) || message.result.type !== 'data') return;
  const data = message.result.data;
  const event = isRecord(data) && isRecord(data.json) ? data.json : undefined;
  if (event?.type !== 'ready' || typeof event.peerId !== 'string') return;
  const { id, jsonrpc } = message;
  if (typeof id !== 'number' && typeof id !== 'string') return;
  return { id, jsonrpc: jsonrpc === '2.0' ? '2.0' : undefined, peerId: event.peerId };
}
