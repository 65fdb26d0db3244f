import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { type CryptwebClient, createCryptwebClient, memoryTokenStore } from '@cryptweb/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox } from '../src/flows/mailbox.js';
import { E2E_RATE_LIMITS, type SpawnedServer, spawnServer } from '../src/flows/server-process.js';
import { tokenFilePath } from '../src/lib/context.js';
import { cliEntry, runCli } from './support/cli.js';
import { watchOutput } from './support/shell.js';

// SPEC §10 and §11 from the command line: the security log, the account's own lifecycle,
// administration, and signing in through a browser without a password.

let server: SpawnedServer;
let tmp: string;
const password = 'correct-Horse-battery-9';
const stamp = Date.now().toString(36);
const adminEmail = `admin-${stamp}@example.test`;
const clients: CryptwebClient[] = [];

/** One machine of the CLI: its own config dir, so its own tokens and device id. */
function machine(name: string) {
  const configDir = join(tmp, name);
  return {
    configDir,
    cli: (args: string[], env: Record<string, string | undefined> = {}) =>
      runCli(['--url', server.url, '--config-dir', configDir, ...args], env),
  };
}

/** A verified account made through the SDK (its own sign-up is tested elsewhere). */
async function account(name: string) {
  const email = `${name.toLowerCase()}-${stamp}@example.test`;
  const client = createCryptwebClient({ url: server.url, tokenStore: memoryTokenStore() });
  clients.push(client);
  await client.auth.signUp.mutate({ name, email, password });
  const mail = await createMailbox(server.mailFile).next(email, 'verify-email');
  await client.auth.verifyEmail.mutate({ email, code: mail.code ?? '' });
  return { name, email, client };
}

/** A machine signed in as `email` by the CLI's own password login. */
async function signedInMachine(name: string, email: string) {
  const box = machine(name);
  const login = await box.cli(['login', '--email', email, '--password', password]);
  expect(login.code, login.stderr).toBe(0);
  return box;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cryptweb-cli-account-'));
  server = await spawnServer({ env: { RATE_LIMITS: E2E_RATE_LIMITS, ADMIN_EMAILS: adminEmail } });
});

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('cryptweb security-log', () => {
  it('shows the sign-ins newest first, flags highlighted, and pages with --limit and --all', async () => {
    const { email } = await account('Logan');
    const desk = await signedInMachine('logan-desk', email);
    // Another machine is another device: its sign-in is flagged `new-device`.
    await signedInMachine('logan-laptop', email);

    const json = await desk.cli(['--json', 'security-log']);
    expect(json.code, json.stderr).toBe(0);
    const log = JSON.parse(json.stdout) as {
      items: { type: string; flags: string[]; ip: string | null }[];
      nextCursor: string | null;
    };
    const signIns = log.items.filter((event) => event.type === 'sign-in');
    expect(signIns).toHaveLength(2);
    expect(signIns[0]?.flags).toContain('new-device');
    expect(signIns[1]?.flags).toEqual([]);

    const table = await desk.cli(['security-log'], { NO_COLOR: undefined, FORCE_COLOR: '1' });
    expect(table.code, table.stderr).toBe(0);
    const plain = stripVTControlCharacters(table.stdout);
    expect(plain).toMatch(/^when\s+event\s+flags\s+device\s+ip$/m);
    expect(plain).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d\s+sign-in\s+new-device\s+.*127\.0\.0\.1$/m);
    // The flag stands out: bold yellow.
    const esc = '\u001b';
    expect(table.stdout).toContain(`${esc}[33m${esc}[1mnew-device${esc}[22m${esc}[39m`);

    const first = await desk.cli(['security-log', '--type', 'sign-in', '--limit', '1']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.match(/^\d{4}-\d\d-\d\d .*\ssign-in\s/gm)).toHaveLength(1);
    expect(first.stdout).toMatch(
      /more: cryptweb security-log --type sign-in --cursor \S+ \(or --all\)/,
    );

    const all = JSON.parse(
      (await desk.cli(['--json', 'security-log', '--type', 'sign-in', '--limit', '1', '--all']))
        .stdout,
    ) as { items: { type: string }[]; nextCursor: string | null };
    expect(all.items.map((event) => event.type)).toEqual(['sign-in', 'sign-in']);
    expect(all.nextCursor).toBeNull();

    const wrongType = await desk.cli(['security-log', '--type', 'nonsense']);
    expect(wrongType.code).toBe(1);
    expect(wrongType.stderr).toContain('Allowed choices are sign-in');
  });
});

describe('cryptweb account', () => {
  it('profile --name renames the account', async () => {
    const { email } = await account('Rena');
    const box = await signedInMachine('rena', email);
    const run = await box.cli(['account', 'profile', '--name', 'Rena Renamed']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('your name is now Rena Renamed');
    expect((await box.cli(['whoami'])).stdout).toContain(`Rena Renamed <${email}>`);
  });

  it('email: the password, then the mailed code in a second run (no terminal)', async () => {
    const { email } = await account('Emil');
    const box = await signedInMachine('emil', email);
    const newEmail = `emil-new-${stamp}@example.test`;

    const noPassword = await box.cli(['account', 'email', newEmail]);
    expect(noPassword.code).toBe(1);
    expect(noPassword.stderr).toContain('a password is needed');

    const wrong = await box.cli(['account', 'email', newEmail, '--password', 'not-it-at-all']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('INVALID_CREDENTIALS');

    const asked = await box.cli(['account', 'email', newEmail], { CRYPTWEB_PASSWORD: password });
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain(`a code is on its way to ${newEmail}`);
    expect(asked.stdout).toContain(`cryptweb account email ${newEmail} --code CODE`);

    const mail = await createMailbox(server.mailFile).next(newEmail, 'email-change');
    const bad = await box.cli([
      'account',
      'email',
      newEmail,
      '--code',
      mail.code === '000000' ? '111111' : '000000',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('CODE_INVALID');
    const done = await box.cli(['--json', 'account', 'email', newEmail, '--code', mail.code ?? '']);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ user: { email: newEmail } });
    expect((await box.cli(['whoami'])).stdout).toContain(`<${newEmail}>`);
    await createMailbox(server.mailFile).next(email, 'email-changed');
  });

  it('export writes the account as JSON to a file only its owner can read', async () => {
    const { email } = await account('Xena');
    const box = await signedInMachine('xena', email);
    const file = join(tmp, 'xena-export.json');
    // A file that was there before, readable by others: the export must not stay that way.
    await writeFile(file, 'old', { mode: 0o644 });
    const run = await box.cli(['account', 'export', '--out', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /wrote .*xena-export\.json \(1 sessions, 0 transfers, \d+ security events\)/,
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const data = JSON.parse(await readFile(file, 'utf8')) as {
      profile: { email: string; name: string };
      sessions: unknown[];
      securityEvents: { type: string }[];
    };
    expect(data.profile).toMatchObject({ email, name: 'Xena' });
    expect(data.sessions).toHaveLength(1);
    expect(data.securityEvents.map((event) => event.type)).toContain('sign-in');

    const stdout = await box.cli(['account', 'export']);
    expect(stdout.code, stdout.stderr).toBe(0);
    expect(JSON.parse(stdout.stdout)).toMatchObject({ profile: { email } });
  });

  it('delete needs DELETE typed (or --yes-delete) and the password, then forgets the tokens', async () => {
    const { email } = await account('Dora');
    const box = await signedInMachine('dora', email);

    const unconfirmed = await box.cli(['account', 'delete'], { CRYPTWEB_PASSWORD: password });
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('needs you to type DELETE');
    expect(unconfirmed.stderr).toContain('--yes-delete');
    const wrong = await box.cli(['account', 'delete', '--yes-delete', '--password', 'not-it-x']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('INVALID_CREDENTIALS');
    expect((await box.cli(['whoami'])).code).toBe(0);

    const deleted = await box.cli(['account', 'delete', '--yes-delete'], {
      CRYPTWEB_PASSWORD: password,
    });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`deleted ${email}; you are signed out`);
    const tokenFile = tokenFilePath({ url: server.url, json: false, configDir: box.configDir });
    expect(Object.keys(JSON.parse(await readFile(tokenFile, 'utf8')) as object)).toEqual([
      'deviceId',
    ]);
    const again = await box.cli(['login', '--email', email, '--password', password]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('INVALID_CREDENTIALS');
  });
});

describe('cryptweb admin', () => {
  it('as an admin: stats, users, user, role, disable, enable, revoke-session, events', async () => {
    await account('Admin');
    const admin = await signedInMachine('admin', adminEmail);
    const target = await account('Tara');
    const tara = await signedInMachine('tara', target.email);
    const taraMe = JSON.parse((await tara.cli(['--json', 'whoami'])).stdout) as {
      user: { id: string };
      session: { id: string };
    };
    const taraId = taraMe.user.id;

    const stats = await admin.cli(['admin', 'stats']);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/^users\s+\d+$/m);
    expect(stats.stdout).toMatch(/^active sessions\s+\d+$/m);
    const statsJson = JSON.parse((await admin.cli(['--json', 'admin', 'stats'])).stdout) as {
      users: number;
    };
    expect(statsJson.users).toBeGreaterThanOrEqual(2);

    const users = await admin.cli(['admin', 'users', '--query', `tara-${stamp}`]);
    expect(users.code, users.stderr).toBe(0);
    expect(users.stdout).toMatch(
      new RegExp(`^${taraId}\\s+${target.email}\\s+Tara\\s+user\\s+active\\s`, 'm'),
    );
    const listed = JSON.parse(
      (await admin.cli(['--json', 'admin', 'users', '--limit', '1', '--all'])).stdout,
    ) as { items: { email: string }[]; nextCursor: string | null };
    expect(listed.items.map((user) => user.email)).toEqual(
      expect.arrayContaining([adminEmail, target.email]),
    );
    expect(listed.nextCursor).toBeNull();

    const detail = await admin.cli(['admin', 'user', taraId]);
    expect(detail.code, detail.stderr).toBe(0);
    expect(detail.stdout).toContain(`Tara <${target.email}> active`);
    expect(detail.stdout).toContain(taraMe.session.id);
    expect(detail.stdout).toMatch(/sign-in\s/);

    const promoted = await admin.cli(['admin', 'role', taraId, 'admin']);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toContain(`${target.email} is now admin`);
    expect((await tara.cli(['admin', 'stats'])).code).toBe(0);
    expect((await admin.cli(['admin', 'role', taraId, 'user'])).code).toBe(0);
    const badRole = await admin.cli(['admin', 'role', taraId, 'root']);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('Allowed choices are user, admin');

    const disabled = await admin.cli(['admin', 'disable', taraId, '--reason', 'testing']);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stdout).toContain(`disabled ${target.email}`);
    expect((await tara.cli(['whoami'])).code).toBe(1);
    const refused = await machine('tara-2').cli([
      'login',
      '--email',
      target.email,
      '--password',
      password,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ACCOUNT_DISABLED');
    expect((await admin.cli(['admin', 'user', taraId])).stdout).toContain('disabled');

    const enabled = await admin.cli(['admin', 'enable', taraId]);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stdout).toContain(`enabled ${target.email}`);
    const back = await signedInMachine('tara-3', target.email);
    const backMe = JSON.parse((await back.cli(['--json', 'whoami'])).stdout) as {
      session: { id: string };
    };
    const revoked = await admin.cli(['admin', 'revoke-session', backMe.session.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`revoked session ${backMe.session.id}`);
    expect((await back.cli(['whoami'])).code).toBe(1);

    const events = JSON.parse(
      (await admin.cli(['--json', 'admin', 'events', '--user', taraId, '--type', 'admin-action']))
        .stdout,
    ) as { items: { type: string }[] };
    expect(events.items.length).toBeGreaterThanOrEqual(4);
    expect(new Set(events.items.map((event) => event.type))).toEqual(new Set(['admin-action']));
    const flagged = await admin.cli(['admin', 'events', '--flagged']);
    expect(flagged.code, flagged.stderr).toBe(0);
    expect(flagged.stdout).toMatch(/^when\s+event\s+flags/m);
  });

  it('as anyone else: FORBIDDEN with a clear message', async () => {
    const { email } = await account('Norm');
    const box = await signedInMachine('norm', email);
    for (const args of [
      ['admin', 'stats'],
      ['admin', 'users'],
    ]) {
      const run = await box.cli(args);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('Only an admin may do this (ADMIN_REQUIRED)');
      expect(run.stderr).toContain('hint: `cryptweb admin` is for admins');
    }
    const json = await box.cli(['--json', 'admin', 'stats']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'FORBIDDEN', reason: 'ADMIN_REQUIRED' },
    });
  });
});

/** `cryptweb login --browser` in the background: its output as it comes, its exit code. */
function browserLogin(configDir: string) {
  const child = spawn(
    process.execPath,
    [cliEntry, '--url', server.url, '--config-dir', configDir, 'login', '--browser'],
    { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const watch = watchOutput('cryptweb login --browser');
  child.stdout.on('data', watch.append);
  child.stderr.on('data', watch.append);
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      watch.end();
      resolve(code);
    }),
  );
  return { ...watch, exited };
}

describe('cryptweb login --browser (SPEC §11)', () => {
  it('shows the code, a link and a QR code; approved in a signed-in client, it signs in', async () => {
    const { email, client } = await account('Brow');
    await client.auth.signIn.mutate({ email, password });
    const box = machine('brow-cli');
    const login = browserLogin(box.configDir);
    const [, userCode = ''] = await login.waitFor(/^code\s+([A-Z]{4}-[A-Z]{4})$/m, 30_000);
    const link = (await login.waitFor(/^link\s+(\S+)$/m, 5000))[1] ?? '';
    expect(new URL(link).searchParams.get('code')).toBe(userCode);
    expect(new URL(link).pathname).toBe('/app/device');
    // The terminal QR code: its finder pattern, in half blocks.
    expect(login.output()).toContain('█ ▄▄▄ █');
    expect(login.output()).not.toMatch(/password/i);

    const described = await client.auth.device.lookup.mutate({ userCode });
    expect(described.clientName).toMatch(/^cryptweb on /);
    await client.auth.device.approve.mutate({ userCode });
    expect(await login.exited, login.output()).toBe(0);
    expect(login.output()).toContain(`signed in as Brow <${email}>`);

    const me = JSON.parse((await box.cli(['--json', 'whoami'])).stdout) as {
      user: { email: string };
      session: { device: { name?: string } };
    };
    expect(me.user.email).toBe(email);
    expect(me.session.device.name).toBe(described.clientName);
  });

  it('stops with a clear error when the code is denied', async () => {
    const { email, client } = await account('Deny');
    await client.auth.signIn.mutate({ email, password });
    const box = machine('deny-cli');
    const login = browserLogin(box.configDir);
    const [, userCode = ''] = await login.waitFor(/^code\s+([A-Z]{4}-[A-Z]{4})$/m, 30_000);
    await client.auth.device.deny.mutate({ userCode });
    expect(await login.exited).toBe(1);
    expect(login.output()).toContain('error: the sign-in was denied in the browser');
    expect((await box.cli(['whoami'])).code).toBe(1);
  });

  it('refuses --browser with a password or an email, and a login with neither', async () => {
    const box = machine('mixed');
    const mixed = await box.cli(['login', '--browser', '--email', 'a@example.test']);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toContain('--browser signs in without --email');
    const neither = await box.cli(['login']);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('an email is needed');
    expect(neither.stderr).toContain('cryptweb login --browser');
  });
});
