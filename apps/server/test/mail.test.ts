import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { eq, sql } from 'drizzle-orm';
import superjson from 'superjson';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mailOutbox } from '../src/db/schema.js';
import type { AppRouter } from '../src/routers/_app.js';
import { PASSWORD } from './support/accounts.js';
import { createTestDatabase, onPostgres, type TestDatabase } from './support/database.js';
import { errorData } from './support/errors.js';
import type { Json } from './support/http.js';
import { type Mail, waitForMail } from './support/mailbox.js';
import {
  mailTo,
  type ResendStub,
  type StubRequest,
  startResendStub,
} from './support/resend-stub.js';
import { startTestServer, type TestServer, uniqueEmail } from './support/server.js';
import { sessionOf } from './support/signed-in.js';

const API_KEY = 're_test_key';
const FROM = 'CryptWeb <mail@cryptweb.test>';
/** Backoff starts at ~2 s, then ~4 s: two failures and a delivery fit well inside this. */
const RETRY_TEST_TIMEOUT = 45_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

function codeIn(request: StubRequest): string {
  const match = /\b(\d{6})\b/.exec(String(request.body?.text));
  if (!match?.[1]) throw new Error('the mail carries no 6-digit code');
  return match[1];
}

function tokenIn(request: StubRequest): string {
  const match = /[?&]token=([^&\s"<]+)/.exec(String(request.body?.text));
  if (!match?.[1]) throw new Error('the mail carries no reset link');
  return decodeURIComponent(match[1]);
}

const hasResetLink = (request: StubRequest) => /[?&]token=/.test(String(request.body?.text));

/** The code mail or the reset mail among delivered requests, told apart by what they carry. */
function mailOfKind(requests: StubRequest[], kind: 'verify-email' | 'reset-password') {
  const found = requests.find((r) => hasResetLink(r) === (kind === 'reset-password'));
  if (!found) throw new Error(`no ${kind} mail among ${requests.length} requests`);
  return found;
}

function outboxRows(server: TestServer, to: string) {
  return server.app.deps.db.select().from(mailOutbox).where(eq(mailOutbox.to, to));
}

/** Waits until every outbox row to `to` is sent, and returns them. */
function sentRows(server: TestServer, to: string, count = 1) {
  return waitUntil(async () => {
    const rows = await outboxRows(server, to);
    return rows.length === count && rows.every((row) => row.status === 'sent') ? rows : undefined;
  }, `${count} sent outbox row(s) to ${to}`);
}

function logLines(server: TestServer): Json[] {
  return server
    .logs()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

let stub: ResendStub;
const resendEnv = () => ({
  MAIL_TRANSPORT: 'resend',
  RESEND_API_KEY: API_KEY,
  RESEND_BASE_URL: stub.url,
  MAIL_FROM: FROM,
});

beforeAll(async () => {
  stub = await startResendStub();
});
afterAll(() => stub?.close());
afterEach(() => stub.recover());

describe('mail through Resend (SPEC §6, §7)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: resendEnv() });
  });
  afterAll(() => server?.stop());

  it('sign-up makes the Resend SDK post the 6-digit code to /emails', async () => {
    const email = uniqueEmail('resend');
    await server.client().auth.signUp.mutate({ name: 'Mailer', email, password: PASSWORD });

    const request = await stub.waitForDelivery(email);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/emails');
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    expect(request.idempotencyKey).toMatch(/\S/);
    expect(request.body).toMatchObject({
      from: FROM,
      subject: expect.any(String),
      html: expect.any(String),
      text: expect.any(String),
    });
    expect([request.body.to].flat()).toEqual([email]);
    const code = codeIn(request);
    expect(request.body.html).toContain(code);

    // The mailed code is the one the server checks.
    const result = await server.client().auth.verifyEmail.mutate({ email, code });
    expect(result).toEqual({ verified: true, alreadyVerified: false });
    expect(stub.requestsTo(email)).toHaveLength(1);
  });

  it(
    'a failing provider neither fails nor delays sign-up; the mail is retried with one idempotency key and delivered',
    async () => {
      const email = uniqueEmail('retry');
      stub.failNext(2, { match: mailTo(email) });

      const started = Date.now();
      const { user } = await server
        .client()
        .auth.signUp.mutate({ name: 'Retry', email, password: PASSWORD });
      const returnedAt = Date.now();
      expect(user.email).toBe(email);
      // Two failures cost at least 1.6 s + 3.2 s of backoff; sign-up does not wait for any of it.
      expect(returnedAt - started).toBeLessThan(1500);
      expect(stub.requestsTo(email).filter((r) => r.status === 200)).toEqual([]);

      const delivered = await stub.waitForDelivery(email, 20_000);
      expect(delivered.answeredAt).toBeGreaterThan(returnedAt);
      const attempts = stub.requestsTo(email);
      expect(attempts.length).toBeGreaterThanOrEqual(3);
      expect(attempts.slice(0, 2).map((r) => r.status)).toEqual([500, 500]);
      expect(attempts.filter((r) => r.status === 200)).toHaveLength(1);
      expect(delivered.idempotencyKey).toMatch(/\S/);
      expect(new Set(attempts.map((r) => r.idempotencyKey))).toEqual(
        new Set([delivered.idempotencyKey]),
      );
      // Retries resend the same message.
      expect(new Set(attempts.map((r) => JSON.stringify(r.body))).size).toBe(1);

      const [row] = await sentRows(server, email);
      expect(row).toMatchObject({ status: 'sent', payload: null, kind: 'verify-email' });
      expect(row?.attempts).toBeGreaterThanOrEqual(3);
      expect(row?.sentAt).toBeInstanceOf(Date);

      const result = await server
        .client()
        .auth.verifyEmail.mutate({ email, code: codeIn(delivered) });
      expect(result.verified).toBe(true);
    },
    RETRY_TEST_TIMEOUT,
  );

  it('a slow provider does not slow sign-up', async () => {
    const email = uniqueEmail('slow');
    stub.delay(3000);
    const started = Date.now();
    await server.client().auth.signUp.mutate({ name: 'Slow', email, password: PASSWORD });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(1500);
    const delivered = await stub.waitForDelivery(email);
    expect(delivered.answeredAt - started).toBeGreaterThanOrEqual(3000);
    await sentRows(server, email);
  });

  it('logs carry no password, token or code, and one request line per request', async () => {
    const traced: { id: string; paths: string[] }[] = [];
    const client = (accessToken?: string) =>
      createTRPCClient<AppRouter>({
        links: [
          httpBatchLink({
            url: `${server.url}/trpc`,
            transformer: superjson,
            headers: ({ opList }) => {
              const id = `secrecy-${randomUUID()}`;
              traced.push({ id, paths: opList.map((op) => op.path) });
              return {
                'x-request-id': id,
                ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
              };
            },
          }),
        ],
      });
    const first = 'Lantern-Obsidian-4417!';
    const second = 'Marmalade-Zeppelin-8823?';
    const third = 'Quokka-Tundra-Saffron-5309';
    const email = uniqueEmail('secrecy');

    await client().auth.signUp.mutate({ name: 'Secrecy', email, password: first });
    const code = codeIn(await stub.waitForDelivery(email));
    await client().auth.verifyEmail.mutate({ email, code });
    const signedIn = sessionOf(await client().auth.signIn.mutate({ email, password: first }));
    const refreshed = await client().auth.refresh.mutate({ refreshToken: signedIn.refreshToken });
    expect((await client(refreshed.accessToken).auth.me.query()).user.email).toBe(email);
    await client(refreshed.accessToken).auth.changePassword.mutate({
      currentPassword: first,
      newPassword: second,
    });
    expect((await errorData(client().auth.signIn.mutate({ email, password: first }))).reason).toBe(
      'INVALID_CREDENTIALS',
    );

    await client().auth.forgotPassword.mutate({ email });
    const resetMail = await waitUntil(
      () => stub.requestsTo(email).find((r) => r.status === 200 && hasResetLink(r)),
      'the reset mail',
    );
    const token = tokenIn(resetMail);
    await client().auth.resetPassword.mutate({ token, password: third, confirmPassword: third });
    const again = sessionOf(await client().auth.signIn.mutate({ email, password: third }));

    // Every mail of the flow went out and was logged: the code, the reset link, two
    // password-changed notices, and the new-device notice of the last sign-in (the reset made
    // every device a stranger again, SPEC §6.1 and §10), whose "not me" link is a secret too.
    const rows = await sentRows(server, email, 5);
    const mailIds = new Set(rows.map((row) => row.id));
    const notMe = await waitUntil(
      () =>
        stub
          .requestsTo(email)
          .find((r) => r.status === 200 && /not-me\?token=/.test(String(r.body?.text))),
      'the new-sign-in mail',
    );
    const reportToken = tokenIn(notMe);
    await waitUntil(
      () =>
        logLines(server).filter((line) => line.msg === 'mail sent' && mailIds.has(line.mailId))
          .length === 5
          ? true
          : undefined,
      'the mail-sent log lines',
    );

    const logs = server.logs();
    const secrets = [
      first,
      second,
      third,
      token,
      encodeURIComponent(token),
      reportToken,
      signedIn.accessToken,
      signedIn.refreshToken,
      refreshed.accessToken,
      refreshed.refreshToken,
      again.accessToken,
      again.refreshToken,
      API_KEY,
    ];
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(new RegExp(`\\b${code}\\b`));

    const lines = logLines(server);
    const expectedPaths = [
      'auth.signUp',
      'auth.verifyEmail',
      'auth.signIn',
      'auth.refresh',
      'auth.me',
      'auth.changePassword',
      'auth.signIn',
      'auth.forgotPassword',
      'auth.resetPassword',
      'auth.signIn',
    ];
    expect(traced.map(({ paths }) => paths.join(','))).toEqual(expectedPaths);
    traced.forEach(({ id }, i) => {
      const requestLines = lines.filter((line) => line.requestId === id && line.msg === 'request');
      expect(requestLines).toHaveLength(1);
      expect(requestLines[0]).toMatchObject({
        method: expectedPaths[i] === 'auth.me' ? 'GET' : 'POST',
        path: `/trpc/${expectedPaths[i]}`,
        // The one wrong password (the 7th request) is a 401.
        status: i === 6 ? 401 : 200,
        durationMs: expect.any(Number),
        requestId: id,
      });
    });
  });

  it(
    'a failed send is logged as a warning without the code or the reset token',
    async () => {
      const email = uniqueEmail('warned');
      stub.failNext(2, { match: mailTo(email) });
      await server.client().auth.signUp.mutate({ name: 'Warned', email, password: PASSWORD });
      await server.client().auth.forgotPassword.mutate({ email });

      const rows = await sentRows(server, email, 2);
      const delivered = stub.requestsTo(email).filter((r) => r.status === 200);
      expect(delivered).toHaveLength(2);
      const code = codeIn(mailOfKind(delivered, 'verify-email'));
      const token = tokenIn(mailOfKind(delivered, 'reset-password'));

      const ids = new Set(rows.map((row) => row.id));
      const warnings = server
        .logs()
        .split('\n')
        .filter(Boolean)
        .filter((text) => {
          const line: Json = JSON.parse(text);
          return ids.has(line.mailId) && line.level === 'warn';
        });
      expect(warnings.length).toBeGreaterThanOrEqual(2);
      const kinds = new Set(warnings.map((text) => (JSON.parse(text) as Json).kind));
      expect(kinds).toEqual(new Set(['verify-email', 'reset-password']));
      for (const text of warnings) {
        expect(text).not.toMatch(new RegExp(`\\b${code}\\b`));
        expect(text).not.toContain(token);
        expect(text).not.toContain(encodeURIComponent(token));
        expect(text).not.toContain(PASSWORD);
      }
      expect(server.logs()).not.toContain(token);
      expect(server.logs()).not.toMatch(new RegExp(`\\b${code}\\b`));
    },
    RETRY_TEST_TIMEOUT,
  );
});

describe('the outbox survives a restart (SPEC §7)', () => {
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;

  afterAll(async () => {
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'mail queued while the provider is down is delivered by the next instance on the same database',
    async () => {
      // PostgreSQL: one database for both; PGlite: the same DATA_DIR, opened again after the stop.
      if (onPostgres) database = await createTestDatabase();
      else dataDir = await mkdtemp(path.join(tmpdir(), 'cryptweb-restart-'));
      const options = {
        ...(database ? { database } : {}),
        env: { ...resendEnv(), ...(dataDir ? { DATA_DIR: dataDir } : {}) },
      };
      const email = uniqueEmail('restart');
      stub.failAll({ match: mailTo(email) });

      const first = await startTestServer(options);
      try {
        await first.client().auth.signUp.mutate({ name: 'Restart', email, password: PASSWORD });
        await waitUntil(
          () => (stub.requestsTo(email).length > 0 ? true : undefined),
          'a first (failing) attempt',
        );
      } finally {
        await first.stop();
      }
      expect(stub.requestsTo(email).every((r) => r.status === 500)).toBe(true);

      const second = await startTestServer(options);
      try {
        const [queued] = await outboxRows(second, email);
        expect(queued?.payload).not.toBeNull();
        stub.recover();
        const delivered = await stub.waitForDelivery(email, 20_000);
        expect(new Set(stub.requestsTo(email).map((r) => r.idempotencyKey)).size).toBe(1);
        const [row] = await sentRows(second, email);
        expect(row).toMatchObject({ status: 'sent', payload: null });

        const result = await second
          .client()
          .auth.verifyEmail.mutate({ email, code: codeIn(delivered) });
        expect(result.verified).toBe(true);
      } finally {
        await second.stop();
      }
    },
    RETRY_TEST_TIMEOUT,
  );
});

describe.runIf(onPostgres)('two instances on one PostgreSQL (SPEC §7)', () => {
  let database: TestDatabase;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase();
    a = await startTestServer({ database, env: resendEnv() });
    b = await startTestServer({ database, env: resendEnv() });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
  });

  it(
    'never send one message twice',
    async () => {
      // A slow provider keeps sends in flight while the other instance polls.
      stub.delay(300);
      const emails = Array.from({ length: 10 }, () => uniqueEmail('pair'));
      await Promise.all(
        emails.map((email, i) =>
          (i % 2 === 0 ? a : b)
            .client()
            .auth.signUp.mutate({ name: 'Pair', email, password: PASSWORD }),
        ),
      );
      await Promise.all(emails.map((email) => stub.waitForDelivery(email, 20_000)));
      // Both workers poll every second: a duplicate would show up within a few polls.
      await sleep(3000);

      const rows = await a.app.deps.db.select().from(mailOutbox);
      expect(rows).toHaveLength(10);
      expect(rows.every((row) => row.status === 'sent' && row.payload === null)).toBe(true);
      for (const email of emails) {
        const requests = stub.requestsTo(email);
        expect(requests).toHaveLength(1);
        expect(requests[0]?.status).toBe(200);
      }
      const keys = emails.map((email) => stub.requestsTo(email)[0]?.idempotencyKey);
      expect(new Set(keys).size).toBe(10);
    },
    RETRY_TEST_TIMEOUT,
  );
});

describe('the file transport (SPEC §2 MAIL_FILE)', () => {
  let server: TestServer;
  let dir: string;
  let mailFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cryptweb-mailfile-'));
    mailFile = path.join(dir, 'nested', 'outbox.jsonl');
    // No RESEND_API_KEY and no MAIL_TRANSPORT: the file transport is the default.
    server = await startTestServer({ env: { MAIL_FILE: mailFile } });
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function lines(): Promise<Json[]> {
    const text = await readFile(mailFile, 'utf8').catch(() => '');
    if (text) expect(text.endsWith('\n')).toBe(true);
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  }

  const lineOf = (email: string, kind: Mail['kind']) =>
    waitUntil(
      async () => (await lines()).find((line) => line.to === email && line.kind === kind),
      `a ${kind} line to ${email}`,
    );

  function expectSentAt(line: Json) {
    expect(typeof line.sentAt).toBe('string');
    expect(new Date(line.sentAt).toISOString()).toBe(line.sentAt);
  }

  it('writes one JSON object per line: { to, subject, text, html, kind, code?, token?, sentAt }', async () => {
    const email = uniqueEmail('file');
    const client = server.client();
    await client.auth.signUp.mutate({ name: 'Filer', email, password: PASSWORD });

    const verify = await lineOf(email, 'verify-email');
    expect(Object.keys(verify).sort()).toEqual(
      ['code', 'html', 'kind', 'sentAt', 'subject', 'text', 'to'].sort(),
    );
    expect(verify.code).toMatch(/^\d{6}$/);
    expect(verify.text).toContain(verify.code);
    expect(verify.html).toContain(verify.code);
    expect(typeof verify.subject).toBe('string');
    expectSentAt(verify);
    expect(await client.auth.verifyEmail.mutate({ email, code: verify.code })).toEqual({
      verified: true,
      alreadyVerified: false,
    });

    await client.auth.forgotPassword.mutate({ email });
    const reset = await lineOf(email, 'reset-password');
    expect(Object.keys(reset).sort()).toEqual(
      ['html', 'kind', 'sentAt', 'subject', 'text', 'to', 'token'].sort(),
    );
    expect(reset.token).toMatch(/^[\w-]{43,}$/);
    expect(reset.text).toContain(reset.token);
    expectSentAt(reset);

    const password = 'Pelican-Harbour-7731';
    await client.auth.resetPassword.mutate({
      token: reset.token,
      password,
      confirmPassword: password,
    });
    const changed = await lineOf(email, 'password-changed');
    expect(Object.keys(changed).sort()).toEqual(
      ['html', 'kind', 'sentAt', 'subject', 'text', 'to'].sort(),
    );
    expectSentAt(changed);
  });
});

describe('secrets at rest (SPEC §6.1)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  /** The outbox row of one kind to `to`, once the worker has marked it sent. */
  const sentRow = (to: string, kind: Mail['kind']) =>
    waitUntil(async () => {
      const rows = await outboxRows(server, to);
      return rows.find((row) => row.kind === kind && row.status === 'sent');
    }, `a sent ${kind} row to ${to}`);

  function expectNoSecret(row: Json, secrets: string[]) {
    expect(row.payload).toBeNull();
    expect(row.lastError).toBeNull();
    // Every column, whatever it is called.
    for (const [column, value] of Object.entries(row)) {
      const text = value instanceof Date ? value.toISOString() : JSON.stringify(value ?? null);
      for (const secret of secrets) expect(text, column).not.toContain(secret);
      expect(text, column).not.toMatch(/\/reset-password\?|token=/);
    }
  }

  it('a sent row keeps no code, token or link in any column, for every kind of mail', async () => {
    const email = uniqueEmail('at-rest');
    const client = server.client();
    await client.auth.signUp.mutate({ name: 'At Rest', email, password: PASSWORD });
    const verify = await waitForMail(server.dataDir, email, 'verify-email');
    const code = verify.code ?? '';
    expect(code).toMatch(/^\d{6}$/);
    expect(verify.text).toContain(code);
    const verifyRow = await sentRow(email, 'verify-email');
    expectNoSecret(verifyRow, [code]);
    // The subject names no code (it shows in notifications and inbox lists).
    expect(verifyRow.subject).not.toMatch(/\d{6}/);
    expect(verify.subject).not.toContain(code);
    await client.auth.verifyEmail.mutate({ email, code });

    await client.auth.forgotPassword.mutate({ email });
    const reset = await waitForMail(server.dataDir, email, 'reset-password');
    const token = reset.token ?? '';
    expect(token.length).toBeGreaterThanOrEqual(43);
    const link = /https?:\/\/\S+reset-password\?token=\S+/.exec(reset.text)?.[0] ?? '';
    expect(link).toContain(encodeURIComponent(token));
    const resetRow = await sentRow(email, 'reset-password');
    expectNoSecret(resetRow, [token, encodeURIComponent(token), link]);
    expect(reset.subject).not.toContain(token);

    const password = 'Walrus-Quartz-Lantern-2291';
    await client.auth.resetPassword.mutate({ token, password, confirmPassword: password });
    await waitForMail(server.dataDir, email, 'password-changed');
    const changedRow = await sentRow(email, 'password-changed');
    expectNoSecret(changedRow, [code, token, encodeURIComponent(token), password]);

    // Read straight from the table too, every column as the database returns it.
    const raw = await server.app.deps.db.execute(
      sql`select * from mail_outbox where "to" = ${email}`,
    );
    const rows = (Array.isArray(raw) ? raw : (raw as { rows: unknown[] }).rows) as Json[];
    expect(rows).toHaveLength(3);
    const text = JSON.stringify(rows);
    for (const secret of [code, token, encodeURIComponent(token), link, password]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/reset-password\?token=/);
  });
});
