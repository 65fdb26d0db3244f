import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCryptwebClient, memoryTokenStore } from '@cryptweb/client';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox } from '../src/flows/mailbox.js';
import { E2E_RATE_LIMITS, type SpawnedServer, spawnServer } from '../src/flows/server-process.js';
import { runCli } from './support/cli.js';

let server: SpawnedServer;
let configDir: string;
const password = 'correct-Horse-battery-9';

/** `cryptweb --url <server> --config-dir <tmp> …args`. */
const cli = (args: string[]) => runCli(['--url', server.url, '--config-dir', configDir, ...args]);

/** The code of the step `offset` steps from now (SPEC §9: SHA-1, 6 digits, 30 s). */
function codeAt(secret: string, offset = 0): string {
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
  return totp.generate({ timestamp: Date.now() + offset * 30_000 });
}

/** A verified account with TOTP on, enrolled through the SDK; confirmed with the previous step. */
async function enrolledAccount(name: string) {
  const email = `${name.toLowerCase()}-${Date.now()}@example.test`;
  const client = createCryptwebClient({ url: server.url, tokenStore: memoryTokenStore() });
  await client.auth.signUp.mutate({ name, email, password });
  const mail = await createMailbox(server.mailFile).next(email, 'verify-email');
  await client.auth.verifyEmail.mutate({ email, code: mail.code ?? '' });
  await client.auth.signIn.mutate({ email, password });
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

    const noCode = await cli(['login', '--email', email, '--password', password]);
    expect(noCode.code).toBe(1);
    expect(noCode.stderr).toContain('asks for a second factor');
    expect(noCode.stderr).toContain('--code');

    const login = await cli([
      'login',
      '--email',
      email,
      '--password',
      password,
      '--code',
      codeAt(secret),
    ]);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`signed in as Totp <${email}>`);
    const whoami = await cli(['whoami', '--json']);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ session: { mfa: true } });

    const recovery = await cli([
      'login',
      '--email',
      email,
      '--password',
      password,
      '--code',
      recoveryCodes[0] ?? '',
    ]);
    expect(recovery.code, recovery.stderr).toBe(0);

    const wrong = await cli([
      'login',
      '--email',
      email,
      '--password',
      password,
      '--code',
      'nope-nope-nope',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('MFA_CODE_INVALID');
  });
});
