import { Agent, request } from 'node:http';
import { Histogram } from '../support/stats.js';
import type { HttpCall, HttpResult } from './messages.js';

interface Response {
  status: number;
  body: string;
}

function send(
  agent: Agent,
  base: URL,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: body
          ? {
              ...headers,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            }
          : headers,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One virtual user: its next request, and what it learns from the answer (a rotated token). */
function callOf(call: HttpCall): {
  next(): [method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string];
  learn(body: string): void;
} {
  switch (call.kind) {
    case 'get':
      return {
        next: () => ['GET', call.path, { authorization: `Bearer ${call.token}` }],
        learn() {},
      };
    case 'sign-in': {
      const body = JSON.stringify({ json: { email: call.email, password: call.password } });
      return { next: () => ['POST', '/trpc/auth.signIn', {}, body], learn() {} };
    }
    case 'refresh': {
      let token = call.refreshToken;
      return {
        next: () => [
          'POST',
          '/trpc/auth.refresh',
          {},
          JSON.stringify({ json: { refreshToken: token } }),
        ],
        learn(body) {
          const parsed = JSON.parse(body) as {
            result?: { data?: { json?: { refreshToken?: string } } };
          };
          const rotated = parsed.result?.data?.json?.refreshToken;
          if (!rotated) throw new Error(`no refresh token in ${body.slice(0, 200)}`);
          token = rotated;
        },
      };
    }
  }
}

/** Closed-loop HTTP load: each call is one virtual user sending its next request on each answer. */
export async function runHttp(
  baseUrl: string,
  calls: HttpCall[],
  durationMs: number,
  startAt: number,
): Promise<Omit<HttpResult, 'cpuMs' | 'wallMs'>> {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: calls.length });
  const latency = new Histogram();
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    calls.map(async (call) => {
      const user = callOf(call);
      while (performance.now() < end) {
        const [method, path, headers, body] = user.next();
        const started = performance.now();
        try {
          const res = await send(agent, base, method, path, headers, body);
          if (res.status !== 200) throw new Error(`${res.status} ${res.body.slice(0, 200)}`);
          user.learn(res.body);
          latency.record(performance.now() - started);
          ok += 1;
        } catch (error) {
          failed += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
          // A failing endpoint must not turn into a hot loop.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return {
    ok,
    failed,
    elapsedMs,
    latency: latency.snapshot(),
    ...(firstError ? { firstError } : {}),
  };
}
