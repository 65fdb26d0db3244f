import type { HistogramSnapshot } from '../support/stats.js';

/** How a load generator talks to a system under test. */
export type Protocol = 'trpc' | 'ws' | 'peerjs' | 'socketio';

/** One client connection: where, as whom. */
export interface Endpoint {
  protocol: Protocol;
  /** Base URL of the system (http://127.0.0.1:PORT). */
  url: string;
  /** The client's own address on relays that let clients pick one (ws, PeerJS, Socket.IO email). */
  name: string;
  /** CryptWeb access token. */
  token?: string;
}

export interface CpuTime {
  /** CPU milliseconds (user + system) this generator spent during the command. */
  cpuMs: number;
  /** Wall milliseconds the command took. */
  wallMs: number;
}

export interface RelayStepResult extends CpuTime {
  sent: number;
  /** Messages delivered to their target within the step and its drain. */
  received: number;
  /** Sends the system refused (tRPC error replies, e.g. TOO_MANY_REQUESTS). */
  rejected: number;
  /** Sends the system accepted but reported undelivered (target offline). */
  undelivered: number;
  /** Milliseconds the sending window really lasted. */
  windowMs: number;
  /** Sending window plus the drain actually waited. */
  activeMs: number;
  latency: HistogramSnapshot;
  firstError?: string;
}

export type HttpCall =
  /** GET with a bearer token (auth.me over tRPC or REST, the ceiling server). */
  | { kind: 'get'; path: string; token: string }
  /** POST /trpc/auth.signIn. */
  | { kind: 'sign-in'; email: string; password: string }
  /** POST /trpc/auth.refresh, chaining each rotated refresh token into the next call. */
  | { kind: 'refresh'; refreshToken: string };

export interface HttpResult extends CpuTime {
  ok: number;
  /** From the common start until the last answer. */
  elapsedMs: number;
  failed: number;
  latency: HistogramSnapshot;
  firstError?: string;
}

export interface BcryptResult extends CpuTime {
  operations: number;
  elapsedMs: number;
}

/** Commands from the bench runner, each answered by one reply with the same id. */
export type Command =
  | { op: 'open-pairs'; pairs: { a: Endpoint; b: Endpoint }[]; timeoutMs: number }
  | {
      op: 'relay-step';
      step: number;
      /** Messages per second this generator offers, over all its pairs, both directions. */
      rate: number;
      durationMs: number;
      drainMs: number;
      /** Epoch ms at which every generator starts sending together. */
      startAt: number;
    }
  | { op: 'open-idle'; endpoints: Endpoint[]; concurrency: number; timeoutMs: number }
  | { op: 'close-all' }
  | {
      op: 'http';
      baseUrl: string;
      calls: HttpCall[];
      durationMs: number;
      startAt: number;
    }
  | {
      op: 'bcrypt';
      mode: 'hash' | 'verify';
      cost: number;
      concurrency: number;
      durationMs: number;
    };

export interface Results {
  'open-pairs': CpuTime & { opened: number };
  'relay-step': RelayStepResult;
  'open-idle': CpuTime & { opened: number; failed: number; firstError?: string };
  'close-all': CpuTime;
  http: HttpResult;
  bcrypt: BcryptResult;
}

export type Op = Command['op'];

export interface Request {
  id: number;
  command: Command;
}

export type Reply =
  | { id: number; ok: true; result: Results[Op] }
  | { id: number; ok: false; error: string };
