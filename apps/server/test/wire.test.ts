import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignedInUser, signedInUser } from './support/accounts.js';
import { fetchJson, type Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { openRawClient, type RawClient } from './support/sig-raw.js';

/**
 * SPEC §6.1 "Bad wire input": malformed superjson never answers 5xx. Over POST bodies, `?input=`
 * query strings, batches and the WebSocket it is BAD_REQUEST INVALID_INPUT with a message, and
 * the call runs nothing: not the procedure, not even its authentication.
 */

let server: TestServer;
let user: SignedInUser;
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

beforeAll(async () => {
  server = await startTestServer();
  user = await signedInUser(server);
});
afterAll(() => server.stop());

const nest = (depth: number, leaf: string) => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
const list = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const envelope = (meta: string, json = '{}') => `{"json":${json},"meta":${meta}}`;
const values = (tree: string, json = '{"a":"x"}') => envelope(`{"values":${tree},"v":1}`, json);
const equalities = (annotation: string, json = '{"a":{"b":1},"c":{"b":1}}') =>
  envelope(`{"referentialEqualities":${annotation},"v":1}`, json);

/** [what, the input as sent: superjson's `{ json, meta? }` wire form, or not]. */
const SHAPES: [string, string][] = [
  // Not the wire form at all.
  ['null', 'null'],
  ['a number', '5'],
  ['a string', '"text"'],
  ['a boolean', 'true'],
  ['an array', '[{"json":{}}]'],
  ['an unknown key beside json', '{"json":{},"extra":1}'],
  ['a misspelt json key', '{"JSON":{}}'],
  // `meta` of the wrong shape.
  ['meta: a number', envelope('5')],
  ['meta: a string', envelope('"x"')],
  ['meta: true', envelope('true')],
  ['meta: an array', envelope('[1,2]')],
  ['meta: null', envelope('null')],
  ['meta: {} (no version)', envelope('{}')],
  ['meta.v: 2', envelope('{"v":2,"values":{"a":["undefined"]}}')],
  ['meta.v: "1"', envelope('{"v":"1"}')],
  ['meta with an unknown key', envelope('{"v":1,"extra":{}}')],
  ['meta.values: a number', values('5')],
  ['meta.values: a string (unbounded recursion in superjson)', values('"Date"')],
  ['meta.values: a string leaf', values('{"a":"Date"}')],
  ['meta.values: a number leaf', values('{"a":5}')],
  ['meta.values: a null leaf', values('{"a":null}')],
  ['meta.values: an empty annotation', values('{"a":[]}')],
  ['meta.values: children under a leaf', values('{"a":["Date",{"b":["Date"]}]}')],
  ['meta.values: a path the input lacks', values('{"missing":{"deeper":["Date"]}}')],
  ['meta.values: an index past the end', values('{"0":["Date"]}', '[]')],
  ['meta.values: a malformed escape', values('{"a\\\\x":["Date"]}')],
  ['meta.referentialEqualities: a number', equalities('5')],
  ['meta.referentialEqualities: a string', equalities('"a"')],
  ['meta.referentialEqualities: paths not a list', equalities('{"a":"c"}')],
  ['meta.referentialEqualities: a number path', equalities('{"a":[5]}')],
  ['meta.referentialEqualities: a path the input lacks', equalities('{"a":["nope.b"]}')],
  ['meta.referentialEqualities: the root, made cyclic', equalities('[["a"]]')],
  ['meta.referentialEqualities: a malformed root list', equalities('[5]')],
  // Types no procedure takes, some of them unknown to superjson.
  ...[
    '"map"',
    '"set"',
    '"bigint"',
    '"regexp"',
    '"Error"',
    '"nope"',
    '["symbol","x"]',
    '["class","Foo"]',
    '["custom","x"]',
    '["typed-array","Uint8Array"]',
  ].map((type): [string, string] => [`the type ${type}`, values(`{"a":[${type}]}`)]),
  ['a "number" annotation on "5"', values('{"a":["number"]}', '{"a":"5"}')],
  ['a "Date" annotation on a number', values('{"a":["Date"]}', '{"a":5}')],
  // Prototype keys, in meta paths and in the input itself.
  ...['__proto__', 'constructor', 'prototype', 'a.__proto__', 'a.constructor.prototype'].map(
    (path): [string, string] => [
      `the path ${path} in meta.values`,
      values(`{${JSON.stringify(path)}:["undefined"]}`),
    ],
  ),
  ['the path __proto__ in nested meta.values', values('{"a":{"__proto__":["undefined"]}}')],
  ['the path __proto__ in referentialEqualities', equalities('{"__proto__":["a"]}')],
  ['the path constructor in referentialEqualities', equalities('{"a":["constructor.prototype"]}')],
  ['a __proto__ key in json', '{"json":{"__proto__":{"polluted":true,"limit":5}}}'],
  ['a nested __proto__ key in json', '{"json":{"a":{"__proto__":{"polluted":true}}}}'],
  // Deeply nested junk.
  ['json nested 33 levels', `{"json":${nest(33, '1')}}`],
  ['json nested 100 000 levels', `{"json":${list(100_000)}}`],
  ['meta.values nested 100 000 levels', values(nest(100_000, '["Date"]'))],
  ['meta nested 100 000 levels', envelope(list(100_000))],
];

/** Inputs short enough for a URL (`?input=`). */
const SHORT = SHAPES.filter(([, text]) => text.length < 4000);

const bearer = () => ({ authorization: `Bearer ${user.accessToken}` });

function post(path: string, body: string, headers: Record<string, string> = bearer()) {
  return fetchJson(`${server.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

function expectRefused(error: Json, what: string) {
  expect(error?.json?.data, what).toMatchObject({
    code: 'BAD_REQUEST',
    httpStatus: 400,
    reason: 'INVALID_INPUT',
  });
  expect(error.json.message, what).toEqual(expect.stringMatching(/\w/));
  expect(error.json.data.fieldErrors[''], what).toEqual([error.json.message]);
}

/** Nothing of any refused call ran: the session lives, nothing was recorded or revoked. */
async function expectNothingRan() {
  const me = await user.client.auth.me.query();
  expect(me.session.id).toBe(user.sessionId);
  expect((await user.client.sessions.list.query()).map((session) => session.id)).toEqual([
    user.sessionId,
  ]);
  expect(await user.client.transfers.stats.query()).toEqual({
    sent: { count: 0, bytes: 0 },
    received: { count: 0, bytes: 0 },
  });
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  expect(({} as Json).polluted).toBeUndefined();
}

describe('malformed superjson is BAD_REQUEST INVALID_INPUT and runs nothing (SPEC §6.1)', () => {
  it('in POST bodies, for procedures with and without an input, before authentication', async () => {
    for (const [what, text] of SHAPES) {
      for (const path of ['sessions.revokeAll', 'auth.signOut', 'transfers.complete']) {
        const res = await post(path, text);
        expect(res.status, `${what} → ${path}`).toBe(400);
        expectRefused(res.body.error, `${what} → ${path}`);
      }
      // Without a token: the input is refused before authentication is tried.
      const anonymous = await post('auth.signOut', text, {});
      expect(anonymous.status, what).toBe(400);
    }
    await expectNothingRan();
  });

  it('in GET ?input= query strings', async () => {
    for (const [what, text] of SHORT) {
      for (const path of ['transfers.list', 'auth.me', 'health.check']) {
        const res = await fetchJson(
          `${server.url}/trpc/${path}?input=${encodeURIComponent(text)}`,
          { headers: bearer() },
        );
        expect(res.status, `${what} → ${path}`).toBe(400);
        expectRefused(res.body.error, `${what} → ${path}`);
      }
    }
  });

  it('in batches: every call carrying one is refused', async () => {
    for (const [what, text] of SHAPES.filter(([, text]) => text.length < 500_000)) {
      const res = await post(
        'sessions.revokeAll,auth.signOut?batch=1',
        `{"0":${text},"1":${text}}`,
      );
      expect(res.status, what).toBe(400);
      expect(res.body, what).toHaveLength(2);
      for (const item of res.body) expectRefused(item.error, what);
    }
    for (const [what, text] of SHORT) {
      const input = encodeURIComponent(`{"0":${text},"1":${text}}`);
      const res = await fetchJson(
        `${server.url}/trpc/transfers.list,auth.me?batch=1&input=${input}`,
        { headers: bearer() },
      );
      expect(res.status, what).toBe(400);
      for (const item of res.body) expectRefused(item.error, what);
    }
    await expectNothingRan();
  });

  it('in a batch, a well-formed neighbour is answered on its own', async () => {
    const input = encodeURIComponent(`{"0":{"json":null},"1":${envelope('5')}}`);
    const res = await fetchJson(
      `${server.url}/trpc/transfers.stats,auth.me?batch=1&input=${input}`,
      { headers: bearer() },
    );
    expect(res.status).toBe(207);
    expect(res.body[0].result.data.json).toEqual({
      sent: { count: 0, bytes: 0 },
      received: { count: 0, bytes: 0 },
    });
    expectRefused(res.body[1].error, 'the malformed call');
  });

  it('a body or a batch that is no JSON, or no object, is INVALID_INPUT too', async () => {
    for (const [path, body] of [
      ['sessions.revokeAll', '{"json":'],
      ['auth.signOut', '{bad'],
      ['sessions.revokeAll,auth.signOut?batch=1', '[1,2]'],
      ['sessions.revokeAll,auth.signOut?batch=1', '"x"'],
    ] as const) {
      const res = await post(path, body);
      expect(res.status, body).toBe(400);
      for (const item of [res.body].flat()) expectRefused(item.error, body);
    }
    await expectNothingRan();
  });

  it('over the WebSocket, each call is answered under its own id, nothing runs, the socket stays open', async () => {
    const socket: RawClient = await openRawClient(server, {
      accessToken: user.accessToken,
      answerPings: true,
    });
    try {
      let id = 0;
      for (const [what, text] of SHAPES) {
        const calls = [
          ['mutation', 'sessions.revokeAll'],
          ['mutation', 'auth.signOut'],
          ['query', 'transfers.list'],
          ['subscription', 'signaling.events'],
        ] as const;
        const ids = calls.map(() => ++id);
        const messages = calls.map(
          ([method, path], i) =>
            `{"id":${ids[i]},"method":"${method}","params":{"path":"${path}","input":${text}}}`,
        );
        // One frame holding all four, a batch as wsLink sends it, when that fits in 1 MiB.
        if (text.length < 200_000) socket.send(`[${messages.join(',')}]`);
        else for (const message of messages) socket.send(message);
        for (const [i, callId] of ids.entries()) {
          const reply = await socket.reply(callId);
          expect(reply.result, `${what} → ${calls[i]?.[1]}`).toBeUndefined();
          expectRefused({ json: reply.error }, `${what} → ${calls[i]?.[1]}`);
        }
      }
      expect(socket.isOpen()).toBe(true);
    } finally {
      socket.close();
    }
    await expectNothingRan();
  });
});

describe('well-formed superjson still arrives as sent', () => {
  it('undefined fields, identical objects and the numbers JSON cannot write', async () => {
    const shared = { same: true };
    const list = await fetchJson(
      `${server.url}/trpc/transfers.list?input=${encodeURIComponent(
        JSON.stringify(
          superjson.serialize({
            direction: 'sent',
            limit: 5,
            cursor: undefined,
            a: shared,
            b: shared,
          }),
        ),
      )}`,
      { headers: bearer() },
    );
    expect(list.status).toBe(200);
    expect(list.body.result.data.json).toEqual({ items: [], nextCursor: null });

    const wire = (fileSize: number) =>
      JSON.stringify(
        superjson.serialize({
          receiverEmail: user.email,
          fileName: 'a.txt',
          fileSize,
          fileType: '',
          timeElapsed: 1,
          transferType: 'Relay',
        }),
      );
    for (const fileSize of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const res = await post('transfers.complete', wire(fileSize));
      expect(res.status).toBe(400);
      expect(res.body.error.json.data.reason).toBe('INVALID_INPUT');
      expect(Object.keys(res.body.error.json.data.fieldErrors)).toEqual(['fileSize']);
    }
    const zero = await post('transfers.complete', wire(-0));
    expect(zero.status).toBe(200);
    expect(zero.body.result.data.json.fileSize).toBe(0);
  });
});
