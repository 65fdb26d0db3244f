import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignedInUser, signedInUser, signInAs } from './support/accounts.js';
import { fetchJson, type Json } from './support/http.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';
import { openRawClient } from './support/sig-raw.js';

/**
 * SPEC §6.1 "REST coercion never loosens tRPC". trpc-to-openapi coerces inputs by setting
 * `coerce` on the procedures' own zod schemas, which tRPC shares: after one REST call, `"5"`
 * passed for a number over tRPC, and `"false"` became `true` for a boolean in a REST body.
 *
 * Every test here runs in one process with one set of schemas, in order: tRPC first, before any
 * REST call, then REST, then tRPC again.
 */

const RATE_LIMITS = roomyLimits();

let server: TestServer;
let alice: SignedInUser;
let bob: SignedInUser;

beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS } });
  [alice, bob] = await Promise.all([
    signedInUser(server, { name: 'Alice' }),
    signedInUser(server, { name: 'Bob' }),
  ]);
});
afterAll(() => server.stop());

const bearer = (user: SignedInUser) => ({ authorization: `Bearer ${user.accessToken}` });
const api = (path: string) => `${server.url}/api/v1${path}`;

/** A tRPC call with a hand-written input, as a non-TypeScript client sends it. */
function trpc(
  kind: 'query' | 'mutation',
  path: string,
  input: unknown,
  user: SignedInUser,
): Promise<{ status: number; body: Json }> {
  const wire = encodeURIComponent(JSON.stringify(superjson.serialize(input)));
  return kind === 'query'
    ? fetchJson(`${server.url}/trpc/${path}?input=${wire}`, { headers: bearer(user) })
    : fetchJson(`${server.url}/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(user) },
        body: JSON.stringify(superjson.serialize(input)),
      });
}

function restPost(path: string, body: string, user: SignedInUser) {
  return fetchJson(api(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(user) },
    body,
  });
}

const transfer = (receiverEmail: string, overrides: Record<string, unknown> = {}) => ({
  receiverEmail,
  fileName: 'notes.txt',
  fileSize: 5,
  fileType: 'text/plain',
  timeElapsed: 10,
  transferType: 'WebRTC',
  ...overrides,
});

/** Strings where numbers or booleans belong, over tRPC HTTP: each one INVALID_INPUT on its field. */
async function expectTrpcStrict() {
  const stats = await alice.client.transfers.stats.query();
  const cases = [
    ['query', 'transfers.list', { limit: '5' }, 'limit'],
    ['mutation', 'transfers.complete', transfer(bob.email, { fileSize: '5' }), 'fileSize'],
    ['mutation', 'transfers.complete', transfer(bob.email, { timeElapsed: '10' }), 'timeElapsed'],
    ['mutation', 'sessions.revokeAll', { includeCurrent: 'false' }, 'includeCurrent'],
    ['mutation', 'sessions.revokeAll', { includeCurrent: 0 }, 'includeCurrent'],
  ] as const;
  for (const [kind, path, input, field] of cases) {
    const res = await trpc(kind, path, input, alice);
    expect(res.status, `${path} ${JSON.stringify(input)}`).toBe(400);
    expect(res.body.error.json.data).toMatchObject({
      code: 'BAD_REQUEST',
      reason: 'INVALID_INPUT',
    });
    expect(Object.keys(res.body.error.json.data.fieldErrors)).toEqual([field]);
  }
  // The same over the WebSocket (the signaling fast path validates with these schemas too).
  const socket = await openRawClient(server, { accessToken: alice.accessToken, answerPings: true });
  try {
    socket.send({
      id: 1,
      method: 'query',
      params: { path: 'transfers.list', input: { json: { limit: '5' } } },
    });
    socket.send({
      id: 2,
      method: 'mutation',
      params: { path: 'sessions.revokeAll', input: { json: { includeCurrent: 'false' } } },
    });
    socket.send({
      id: 3,
      method: 'mutation',
      params: {
        path: 'signaling.sendIceCandidate',
        input: { json: { to: { peerId: 'p' }, candidate: { candidate: 'c', sdpMLineIndex: '1' } } },
      },
    });
    for (const [id, field] of [
      [1, 'limit'],
      [2, 'includeCurrent'],
      [3, 'candidate.sdpMLineIndex'],
    ] as const) {
      const reply = await socket.reply(id);
      expect(reply.error?.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
      expect(Object.keys(reply.error?.data.fieldErrors)).toEqual([field]);
    }
  } finally {
    socket.close();
  }
  // Nothing was recorded and no session was revoked by any of it.
  expect(await alice.client.transfers.stats.query()).toEqual(stats);
  expect((await alice.client.auth.me.query()).session.id).toBe(alice.sessionId);
}

describe('REST coercion never loosens tRPC (SPEC §6.1)', () => {
  it('over tRPC, before any REST call, a string is no number or boolean', async () => {
    await expectTrpcStrict();
  });

  it('over REST, query strings are coerced to the numbers the schema asks for', async () => {
    await alice.client.transfers.complete.mutate(transfer(bob.email) as never);
    const list = await fetchJson(api('/file-transfers?limit=5'), { headers: bearer(alice) });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);

    const all = await fetchJson(api('/file-transfers?direction=sent&limit=100'), {
      headers: bearer(alice),
    });
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(1);

    // An empty value is no value: the default applies.
    const empty = await fetchJson(api('/file-transfers?limit='), { headers: bearer(alice) });
    expect(empty.status).toBe(200);

    for (const limit of ['abc', '5x', '0x10', '1.5', '0', '101', 'true', ' ']) {
      const res = await fetchJson(api(`/file-transfers?limit=${encodeURIComponent(limit)}`), {
        headers: bearer(alice),
      });
      expect(res.status, `limit=${limit}`).toBe(400);
      expect(res.body.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
      expect(Object.keys(res.body.data.fieldErrors)).toEqual(['limit']);
    }
    // One value twice is not one number.
    const twice = await fetchJson(api('/file-transfers?limit=5&limit=6'), {
      headers: bearer(alice),
    });
    expect(twice.status).toBe(400);
  });

  it('over REST, a JSON body is not coerced: {"includeCurrent":"false"} is 400 and nothing is revoked', async () => {
    const second = await signInAs(server, alice);
    const before = await alice.client.sessions.list.query();
    expect(before.map((session) => session.id)).toEqual(
      expect.arrayContaining([alice.sessionId, second.sessionId]),
    );

    for (const body of [
      '{"includeCurrent":"false"}',
      '{"includeCurrent":"true"}',
      '{"includeCurrent":0}',
      '{"includeCurrent":"0"}',
      '{"includeCurrent":""}',
    ]) {
      const res = await restPost('/sessions/revoke-all', body, second);
      expect(res.status, body).toBe(400);
      expect(res.body.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
      expect(Object.keys(res.body.data.fieldErrors)).toEqual(['includeCurrent']);
    }
    const after = await alice.client.sessions.list.query();
    expect(after.map((session) => session.id).sort()).toEqual(
      before.map((session) => session.id).sort(),
    );
    expect((await second.client.auth.me.query()).session.id).toBe(second.sessionId);

    // A real boolean works: everything but the caller's session goes.
    const kept = await restPost('/sessions/revoke-all', '{"includeCurrent":false}', second);
    expect(kept.status).toBe(200);
    expect(kept.body.revoked).toContain(alice.sessionId);
    expect(kept.body.revoked).not.toContain(second.sessionId);
    expect((await second.client.auth.me.query()).session.id).toBe(second.sessionId);
    alice = await signInAs(server, alice);
  });

  it('over REST, numbers in a JSON body must be numbers', async () => {
    for (const [overrides, field] of [
      [{ fileSize: '5' }, 'fileSize'],
      [{ timeElapsed: '10' }, 'timeElapsed'],
      [{ fileSize: '' }, 'fileSize'],
      [{ fileSize: true }, 'fileSize'],
    ] as const) {
      const res = await restPost(
        '/file-transfers/complete',
        JSON.stringify(transfer(bob.email, overrides)),
        alice,
      );
      expect(res.status, JSON.stringify(overrides)).toBe(400);
      expect(res.body.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
      expect(Object.keys(res.body.data.fieldErrors)).toEqual([field]);
    }
    const res = await restPost(
      '/signaling/ice-candidate',
      JSON.stringify({ to: { peerId: 'p' }, candidate: { candidate: 'c', sdpMLineIndex: '1' } }),
      alice,
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.data.fieldErrors)).toEqual(['candidate.sdpMLineIndex']);

    const ok = await restPost(
      '/file-transfers/complete',
      JSON.stringify(transfer(bob.email)),
      alice,
    );
    expect(ok.status).toBe(200);
    expect(ok.body.fileSize).toBe(5);
  });

  it('over tRPC, after REST calls, a string is still no number or boolean', async () => {
    await expectTrpcStrict();
  });
});
