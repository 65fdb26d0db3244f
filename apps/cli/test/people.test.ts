import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox } from '../src/flows/mailbox.js';
import { E2E_RATE_LIMITS, type SpawnedServer, spawnServer } from '../src/flows/server-process.js';
import { tokenFilePath } from '../src/lib/context.js';
import { runCli } from './support/cli.js';

let server: SpawnedServer;
let configDir: string;
const email = `person-${Date.now()}@example.test`;
const password = 'correct-Horse-battery-9';

/** `cryptweb --url <server> --config-dir <tmp> …args`. */
const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(['--url', server.url, '--config-dir', configDir, ...args], env);

beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'cryptweb-cli-config-'));
  // Generous limits, except the resend limit whose refusal (and wait) is checked below.
  const limits = {
    ...(JSON.parse(E2E_RATE_LIMITS) as object),
    'resendVerification.email': { max: 1, windowSeconds: 60 },
  };
  server = await spawnServer({ env: { RATE_LIMITS: JSON.stringify(limits) } });
});

afterAll(async () => {
  await server?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

describe('cryptweb commands for people', () => {
  it('signup → verify with the mailed code → login → whoami → sessions → logout', async () => {
    const signup = await cli(['signup', '--name', 'Pat', '--email', email, '--password', password]);
    expect(signup.code, signup.stderr).toBe(0);
    expect(signup.stdout).toContain(`account created for Pat <${email}>`);

    const mail = await createMailbox(server.mailFile).next(email, 'verify-email');
    const wrong = await cli([
      'verify',
      '--email',
      email,
      '--code',
      mail.code === '000000' ? '111111' : '000000',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('CODE_INVALID');
    const verify = await cli(['verify', '--email', email, '--code', mail.code ?? '']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain(`${email} verified`);

    // The password from the environment, as a script would pass it.
    const login = await cli(['login', '--email', email, '--device-name', 'test laptop'], {
      CRYPTWEB_PASSWORD: password,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`signed in as Pat <${email}>`);

    const whoami = await cli(['whoami']);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout).toContain(`Pat <${email}> verified`);
    const me = JSON.parse((await cli(['--json', 'whoami'])).stdout) as {
      user: { email: string };
      session: { id: string; deviceId: string; device: { name?: string } };
    };
    expect(me.user.email).toBe(email);
    expect(me.session.device.name).toBe('test laptop');

    const sessions = await cli(['sessions']);
    expect(sessions.code, sessions.stderr).toBe(0);
    expect(sessions.stdout).toMatch(new RegExp(`●\\s+${me.session.id}\\s+test laptop`));
    const listed = JSON.parse((await cli(['sessions', 'list', '--json'])).stdout) as {
      id: string;
      current: boolean;
    }[];
    expect(listed).toEqual([expect.objectContaining({ id: me.session.id, current: true })]);

    const transfers = JSON.parse((await cli(['transfers', '--json'])).stdout) as unknown;
    expect(transfers).toEqual({ items: [], nextCursor: null });
    const stats = await cli(['transfers', 'stats']);
    expect(stats.stdout).toMatch(/sent\s+0\s+0 B/);

    const logout = await cli(['logout']);
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stdout).toContain(`signed out (session ${me.session.id})`);

    const after = await cli(['whoami']);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('not signed in');

    // SPEC §6.1 "Known devices": no token is left on disk, the device id stays for the next login.
    const tokenFile = tokenFilePath({ url: server.url, json: false, configDir });
    expect(JSON.parse(await readFile(tokenFile, 'utf8'))).toEqual({
      deviceId: me.session.deviceId,
    });
  });

  it('a wrong password shows INVALID_CREDENTIALS and exits 1', async () => {
    const run = await cli(['login', '--email', email, '--password', 'not-the-password']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Wrong email or password');
    expect(run.stderr).toContain('INVALID_CREDENTIALS');
    const json = await cli(['login', '--email', email, '--password', 'not-the-password', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'UNAUTHORIZED', reason: 'INVALID_CREDENTIALS', httpStatus: 401 },
    });
  });

  it('shows field errors, the wait of TOO_MANY_REQUESTS, and a missing password', async () => {
    const invalid = await cli([
      'signup',
      '--name',
      'X',
      '--email',
      'not-an-email',
      '--password',
      'short',
    ]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('INVALID_INPUT');
    expect(invalid.stderr).toMatch(/email: .*valid email/);
    expect(invalid.stderr).toMatch(/password: .*at least 8/);

    const other = `wait-${Date.now()}@example.test`;
    expect((await cli(['resend', '--email', other])).code).toBe(0);
    const limited = await cli(['resend', '--email', other]);
    expect(limited.code).toBe(1);
    expect(limited.stderr).toContain('RATE_LIMITED');
    expect(limited.stderr).toMatch(/try again in \d+ s/);

    // stdin is not a terminal here: no prompt, a clear message instead.
    const noPassword = await cli(['login', '--email', email]);
    expect(noPassword.code).toBe(1);
    expect(noPassword.stderr).toContain('a password is needed');
  });

  it('e2e --url runs the flows against a running server, reading its --mail-file', async () => {
    const run = await cli(['e2e', '--mail-file', server.mailFile, '--json']);
    expect(run.code, run.stdout).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, spawned: false, url: server.url });
  });

  it('e2e exits 1 and names the failures when the server is unreachable', async () => {
    const run = await runCli(['--url', 'http://127.0.0.1:9', '--config-dir', configDir, 'e2e']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^health\s+FAIL/m);
    expect(run.stdout).toContain('cannot reach the server');
    // Every flow that ran failed: the summary counts exactly the FAIL rows above it.
    const summary = /\b0\/(\d+) flows passed/.exec(run.stdout);
    expect(summary, run.stdout).not.toBeNull();
    const failed = run.stdout.split('\n').filter((line) => /^\S+(\s\S+)*\s+FAIL\b/.test(line));
    expect(failed).toHaveLength(Number(summary?.[1]));
  });
});
