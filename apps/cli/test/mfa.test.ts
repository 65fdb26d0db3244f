import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCryptwebClient, memoryTokenStore } from '@cryptweb/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox } from '../src/flows/mailbox.js';
import { E2E_RATE_LIMITS, type SpawnedServer, spawnServer } from '../src/flows/server-process.js';
import { totpCode as codeAt } from '../src/flows/two-factor.js';
import { runCli } from './support/cli.js';
import { hasScript, runCliInTerminal } from './support/terminal.js';

let server: SpawnedServer;
let configDir: string;
const password = 'correct-Horse-battery-9';

/** `cryptweb --url <server> --config-dir <tmp> …args`. */
const cli = (args: string[]) => runCli(['--url', server.url, '--config-dir', configDir, ...args]);

/** `login` with the test password, and a second-factor code when given. */
const loginArgs = (email: string, code?: string) => [
  'login',
  '--email',
  email,
  '--password',
  password,
  ...(code === undefined ? [] : ['--code', code]),
];

/** A signed-up, verified account, signed in through the SDK. */
async function verifiedAccount(name: string) {
  const email = `${name.toLowerCase()}-${Date.now()}@example.test`;
  const client = createCryptwebClient({ url: server.url, tokenStore: memoryTokenStore() });
  await client.auth.signUp.mutate({ name, email, password });
  const mail = await createMailbox(server.mailFile).next(email, 'verify-email');
  await client.auth.verifyEmail.mutate({ email, code: mail.code ?? '' });
  await client.auth.signIn.mutate({ email, password });
  return { email, client };
}

/** A verified account with TOTP on, enrolled through the SDK; confirmed with the previous step. */
async function enrolledAccount(name: string) {
  const { email, client } = await verifiedAccount(name);
  const { secret } = await client.mfa.totp.enroll.mutate({ currentPassword: password });
  const { recoveryCodes } = await client.mfa.totp.confirm.mutate({ code: codeAt(secret, -1) });
  await client.auth.signOut.mutate();
  await client.close();
  return { email, secret, recoveryCodes };
}

beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'cryptweb-cli-mfa-'));
  server = await spawnServer({ env: { RATE_LIMITS: E2E_RATE_LIMITS } });
});

afterAll(async () => {
  await server?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

describe('cryptweb login with a second factor (SPEC §9)', () => {
  it('asks for --code without a terminal, then signs in with a code or a recovery code', async () => {
    const { email, secret, recoveryCodes } = await enrolledAccount('Totp');

    const noCode = await cli(loginArgs(email));
    expect(noCode.code).toBe(1);
    expect(noCode.stderr).toContain('asks for a second factor');
    expect(noCode.stderr).toContain('--code');

    const login = await cli(loginArgs(email, codeAt(secret)));
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`signed in as Totp <${email}>`);
    const whoami = await cli(['whoami', '--json']);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ session: { mfa: true } });

    const recovery = await cli(loginArgs(email, recoveryCodes[0] ?? ''));
    expect(recovery.code, recovery.stderr).toBe(0);

    const wrong = await cli(loginArgs(email, 'nope-nope-nope'));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('MFA_CODE_INVALID');
  });
});

/** A verified account signed in by `cryptweb login` in a config dir of its own (one "machine"). */
async function signedInMachine(name: string) {
  const { email, client } = await verifiedAccount(name);
  await client.auth.signOut.mutate();
  await client.close();
  const dir = await mkdtemp(join(configDir, 'machine-'));
  const global = ['--url', server.url, '--config-dir', dir];
  const run = (args: string[]) => runCli([...global, ...args]);
  const login = await run(loginArgs(email));
  expect(login.code, login.stderr).toBe(0);
  return { email, run, global };
}

const SECRET = /secret\s+([A-Z2-7]{16,})\r?\n/;
const RECOVERY_CODE = /^\s+([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})\r?$/gm;
const recoveryCodesIn = (text: string) => [...text.matchAll(RECOVERY_CODE)].map((m) => m[1] ?? '');

describe('cryptweb 2fa (SPEC §9)', () => {
  it('refuses when not signed in', async () => {
    const dir = await mkdtemp(join(configDir, 'signed-out-'));
    for (const args of [
      ['2fa', 'status'],
      ['2fa', 'enable', '--password', password],
    ]) {
      const run = await runCli(['--url', server.url, '--config-dir', dir, ...args]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('not signed in');
      expect(run.stderr).toContain('cryptweb login');
    }
  });

  it('enable (in two runs, as a script does), status, recovery-codes and disable', async () => {
    const { email, run } = await signedInMachine('Script');
    const reauth = (command: string, code: string) =>
      run(['2fa', command, '--password', password, '--code', code]);
    const off = await run(['2fa', 'status']);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/two-factor\s+off/);
    expect(off.stdout).toContain('cryptweb 2fa enable');

    const noPassword = await run(['2fa', 'enable']);
    expect(noPassword.code).toBe(1);
    expect(noPassword.stderr).toContain('a password is needed');
    const wrongPassword = await run(['2fa', 'enable', '--password', `${password}x`]);
    expect(wrongPassword.code).toBe(1);
    expect(wrongPassword.stderr).toContain('INVALID_CREDENTIALS');

    // No terminal: the first run shows the QR code and the secret, and leaves it pending.
    const started = await run(['2fa', 'enable', '--password', password]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain('▄');
    const secret = SECRET.exec(started.stdout)?.[1] ?? '';
    expect(secret, started.stdout).not.toBe('');
    const uri = /^uri\s+(otpauth:\/\/totp\/\S+)$/m.exec(started.stdout)?.[1] ?? '';
    expect(new URL(uri).searchParams.get('secret')).toBe(secret);
    expect(decodeURIComponent(uri)).toContain(email);
    expect(started.stdout).toContain('cryptweb 2fa enable --code CODE');
    expect((await run(['2fa', 'status'])).stdout).toMatch(/two-factor\s+off/);

    const wrong = await run(['2fa', 'enable', '--code', codeAt(secret, 10)]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('MFA_CODE_INVALID');
    expect(wrong.stderr).toContain('not on yet');

    const enabled = await run(['2fa', 'enable', '--code', codeAt(secret, -1)]);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stdout).toContain('two-factor sign-in is on');
    expect(enabled.stdout).toContain('Store these now');
    const firstSet = recoveryCodesIn(enabled.stdout);
    expect(firstSet).toHaveLength(10);
    expect(new Set(firstSet).size).toBe(10);

    const on = await run(['2fa', 'status']);
    expect(on.stdout).toMatch(/two-factor\s+on/);
    expect(on.stdout).toMatch(/recovery codes left\s+10/);
    const again = await run(['2fa', 'enable', '--password', password]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('MFA_ALREADY_ENABLED');

    // A new sign-in now needs a code: one from the secret the CLI printed.
    const noCode = await run(loginArgs(email));
    expect(noCode.code).toBe(1);
    expect(noCode.stderr).toContain('--code');
    const login = await run(loginArgs(email, codeAt(secret)));
    expect(login.code, login.stderr).toBe(0);

    const missing = await run(['2fa', 'recovery-codes', '--password', password]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('a code is needed to make new recovery codes');
    const regenerated = await reauth('recovery-codes', firstSet[0] ?? '');
    expect(regenerated.code, regenerated.stderr).toBe(0);
    expect(regenerated.stdout).toContain('the old ones no longer work');
    expect(regenerated.stdout).toContain('Store these now');
    const secondSet = recoveryCodesIn(regenerated.stdout);
    expect(secondSet).toHaveLength(10);
    expect(secondSet.filter((code) => firstSet.includes(code))).toEqual([]);

    const oldCode = await reauth('disable', firstSet[1] ?? '');
    expect(oldCode.code).toBe(1);
    expect(oldCode.stderr).toContain('MFA_CODE_INVALID');
    const disabled = await reauth('disable', secondSet[0] ?? '');
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stdout).toContain('two-factor sign-in is off');
    expect((await run(['2fa', 'status'])).stdout).toMatch(/two-factor\s+off/);
    const plain = await run(loginArgs(email));
    expect(plain.code, plain.stderr).toBe(0);
  });

  it('--json prints one document per run', async () => {
    const { run } = await signedInMachine('Json');
    const started = await run(['--json', '2fa', 'enable', '--password', password]);
    const pending = JSON.parse(started.stdout) as { enabled: boolean; secret: string };
    expect(pending).toMatchObject({
      enabled: false,
      otpauthUri: expect.stringMatching(/^otpauth:/),
    });
    const enabled = await run(['--json', '2fa', 'enable', '--code', codeAt(pending.secret)]);
    const result = JSON.parse(enabled.stdout) as { enabled: boolean; recoveryCodes: string[] };
    expect(result.enabled).toBe(true);
    expect(result.recoveryCodes).toHaveLength(10);
    expect(JSON.parse((await run(['--json', '2fa'])).stdout)).toEqual({
      totp: true,
      passkeys: 0,
      recoveryCodesLeft: 10,
    });
    const failed = await run([
      '--json',
      '2fa',
      'disable',
      '--password',
      password,
      '--code',
      'nope-nope-nope',
    ]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ error: { reason: 'MFA_CODE_INVALID' } });
  });
});

describe.runIf(hasScript)('cryptweb 2fa and login in a terminal (SPEC §9)', () => {
  it('enable asks the password and the first code; login and disable ask for a code', async () => {
    const { email, global } = await signedInMachine('Terminal');
    const enable = runCliInTerminal([...global, '2fa', 'enable']);
    await enable.waitFor(/Password: $/);
    enable.type(password);
    const secret = (await enable.waitFor(SECRET))[1] ?? '';
    await enable.waitFor(/Code from your authenticator app: $/);
    expect(enable.output()).toContain('▄');
    // The previous step: the login below then uses the current one (a step is accepted once).
    enable.type(codeAt(secret, -1));
    expect(await enable.exited, enable.output()).toBe(0);
    expect(enable.output()).toContain('two-factor sign-in is on');
    expect(enable.output()).toContain('Store these now');
    const recoveryCodes = recoveryCodesIn(enable.output());
    expect(recoveryCodes).toHaveLength(10);

    const login = runCliInTerminal([...global, 'login', '--email', email], {
      CRYPTWEB_PASSWORD: password,
    });
    await login.waitFor(/Code from your authenticator app \(or a recovery code\): $/);
    login.type(codeAt(secret));
    expect(await login.exited, login.output()).toBe(0);
    expect(login.output()).toContain(`signed in as Terminal <${email}>`);

    const withRecovery = runCliInTerminal([...global, 'login', '--email', email], {
      CRYPTWEB_PASSWORD: password,
    });
    await withRecovery.waitFor(/recovery code\): $/);
    withRecovery.type(recoveryCodes[0] ?? '');
    expect(await withRecovery.exited, withRecovery.output()).toBe(0);

    const disable = runCliInTerminal([...global, '2fa', 'disable']);
    await disable.waitFor(/Password: $/);
    disable.type(password);
    await disable.waitFor(/recovery code\): $/);
    // A spent recovery code is refused: the command fails and says why.
    disable.type(recoveryCodes[0] ?? '');
    expect(await disable.exited).toBe(1);
    expect(disable.output()).toContain('MFA_CODE_INVALID');
    expect(disable.output()).not.toContain(password);
  });
});
