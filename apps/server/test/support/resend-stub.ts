import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Json } from './http.js';

/** One request the stub received, with what it answered. */
export interface StubRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (the raw text when it is not JSON). */
  body: Json;
  /** `Idempotency-Key` header, if sent. */
  idempotencyKey: string | undefined;
  /** Lower-cased recipients of a POST /emails body (`to` may be a string or a list). */
  to: string[];
  status: number;
  /** The email id answered on success. */
  id: string | undefined;
  receivedAt: number;
  answeredAt: number;
}

export interface FailOptions {
  /** HTTP status of the failure (500 by default). */
  status?: number;
  /** Only requests for which this returns true are failed (and counted); others succeed. */
  match?: (request: { to: string[]; body: Json }) => boolean;
}

export interface ResendStub {
  /** Base URL to put into RESEND_BASE_URL. */
  url: string;
  /** Every request so far, oldest first. */
  requests: StubRequest[];
  /** Requests whose recipients include `to`. */
  requestsTo(to: string): StubRequest[];
  /** Answers the next `count` matching requests with an error. */
  failNext(count: number, options?: FailOptions): void;
  /** Answers every matching request with an error until `recover()`. */
  failAll(options?: FailOptions): void;
  /** Delays every answer by `ms` (0 to stop). */
  delay(ms: number): void;
  /** Back to answering everything at once with success. */
  recover(): void;
  /** Resolves with the first successful delivery to `to`, polling the record. */
  waitForDelivery(to: string, timeoutMs?: number): Promise<StubRequest>;
  close(): Promise<void>;
}

interface FailRule {
  remaining: number;
  status: number;
  match: FailOptions['match'];
}

const recipients = (body: Json): string[] => {
  const to: unknown = body?.to;
  const list = Array.isArray(to) ? to : [to];
  return list
    .filter((item): item is string => typeof item === 'string')
    .map((item) => item.toLowerCase());
};

/**
 * A local stand-in for the Resend API: `POST /emails` → 200 `{ id }`, like the real one, while
 * recording every request. Tests switch it to fail (a JSON error body, as Resend sends) or to be slow.
 */
export async function startResendStub(): Promise<ResendStub> {
  const requests: StubRequest[] = [];
  let rules: FailRule[] = [];
  let delayMs = 0;

  const server = createServer((req, res) => {
    const receivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Json = text;
      try {
        body = JSON.parse(text);
      } catch {}
      const to = recipients(body);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const idempotencyKey = req.headers['idempotency-key'];

      let status = 200;
      let answer: Json;
      let id: string | undefined;
      const rule = rules.find(
        (candidate) => candidate.remaining > 0 && (candidate.match?.({ to, body }) ?? true),
      );
      if (req.method !== 'POST' || path !== '/emails') {
        status = 404;
        answer = {
          statusCode: 404,
          name: 'not_found',
          message: 'The stub only knows POST /emails',
        };
      } else if (rule) {
        rule.remaining -= 1;
        status = rule.status;
        answer = {
          statusCode: status,
          name: 'internal_server_error',
          message: 'The Resend stub is failing on purpose',
        };
      } else {
        id = randomUUID();
        answer = { id };
      }

      const record: StubRequest = {
        method: req.method ?? 'GET',
        path,
        headers: req.headers,
        body,
        idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
        to,
        status,
        id,
        receivedAt,
        answeredAt: 0,
      };
      const respond = () => {
        record.answeredAt = Date.now();
        requests.push(record);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      };
      if (delayMs > 0) setTimeout(respond, delayMs);
      else respond();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const requestsTo = (to: string) => requests.filter((r) => r.to.includes(to.toLowerCase()));

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsTo,
    failNext(count, options = {}) {
      rules.push({ remaining: count, status: options.status ?? 500, match: options.match });
    },
    failAll(options = {}) {
      rules.push({
        remaining: Number.POSITIVE_INFINITY,
        status: options.status ?? 500,
        match: options.match,
      });
    },
    delay(ms) {
      delayMs = ms;
    },
    recover() {
      rules = [];
      delayMs = 0;
    },
    async waitForDelivery(to, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const delivered = requestsTo(to).find((r) => r.status === 200);
        if (delivered) return delivered;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the stub got no successful delivery to ${to} within ${timeoutMs} ms`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `to` matcher for `failNext`/`failAll`: fails only mail to these addresses. */
export const mailTo =
  (...addresses: string[]) =>
  (request: { to: string[] }) =>
    addresses.some((address) => request.to.includes(address.toLowerCase()));
