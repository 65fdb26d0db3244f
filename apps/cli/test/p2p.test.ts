import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox } from '../src/flows/mailbox.js';
import { E2E_RATE_LIMITS, type SpawnedServer, spawnServer } from '../src/flows/server-process.js';
import { cliEntry, runCli } from './support/cli.js';

let server: SpawnedServer;
let work: string;
const password = 'files-travel-peer-to-peer-7';

/** A person with their own config dir (token file), signed up, verified and signed in. */
async function person(name: string) {
  const configDir = join(work, `config-${name}`);
  const email = `${name.toLowerCase()}-${Date.now()}@example.test`;
  const cli = (args: string[]) =>
    runCli(['--url', server.url, '--config-dir', configDir, ...args], {}, 120_000);
  expect(
    (await cli(['signup', '--name', name, '--email', email, '--password', password])).code,
  ).toBe(0);
  const mail = await createMailbox(server.mailFile).next(email, 'verify-email');
  expect((await cli(['verify', '--email', email, '--code', mail.code ?? ''])).code).toBe(0);
  const login = await cli(['login', '--email', email, '--password', password]);
  expect(login.code, login.stderr).toBe(0);
  return { name, email, configDir, cli };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cryptweb-p2p-'));
  // No STUN on a closed network: host candidates on loopback are enough.
  server = await spawnServer({ env: { RATE_LIMITS: E2E_RATE_LIMITS, STUN_URLS: '' } });
});

afterAll(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('cryptweb send / receive between two processes', () => {
  it('moves a 5 MiB file over a real WebRTC data channel, verifies SHA-256 and records the transfer', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const payload = randomBytes(5 * 1024 * 1024);
    const source = join(work, 'report.bin');
    await writeFile(source, payload);
    const inbox = join(work, 'inbox');

    const receiver = spawn(
      process.execPath,
      [
        cliEntry,
        '--url',
        server.url,
        '--config-dir',
        bob.configDir,
        'receive',
        '--out',
        inbox,
        '--from',
        alice.email,
      ],
      { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let receiverOut = '';
    let receiverErr = '';
    receiver.stdout.on('data', (chunk: Buffer) => {
      receiverOut += chunk.toString('utf8');
    });
    const waiting = new Promise<void>((resolve, reject) => {
      receiver.stderr.on('data', (chunk: Buffer) => {
        receiverErr += chunk.toString('utf8');
        if (receiverErr.includes('waiting for a file')) resolve();
      });
      receiver.once('exit', (code) =>
        reject(new Error(`receive exited early (${code}): ${receiverErr}`)),
      );
    });
    const receiverExit = new Promise<number | null>((resolve) => receiver.once('exit', resolve));
    try {
      await waiting;
      const started = Date.now();
      const sent = await alice.cli(['send', source, '--to', bob.email]);
      const seconds = (Date.now() - started) / 1000;
      expect(sent.code, sent.stderr).toBe(0);
      expect(await receiverExit, receiverErr).toBe(0);
      console.info(`5 MiB between two cryptweb processes in ${seconds.toFixed(1)} s`);

      const expected = createHash('sha256').update(payload).digest('hex');
      expect(sent.stdout).toContain(expected);
      expect(receiverOut).toContain(expected);
      const saved = await readdir(inbox);
      expect(saved).toEqual(['report.bin']);
      const received = await readFile(join(inbox, 'report.bin'));
      expect(createHash('sha256').update(received).digest('hex')).toBe(expected);

      const history = await bob.cli(['--json', 'transfers', 'list', '--direction', 'received']);
      expect(history.code, history.stderr).toBe(0);
      const items = (
        JSON.parse(history.stdout) as {
          items: {
            fileName: string;
            fileSize: number;
            transferType: string;
            sender: { email: string };
          }[];
        }
      ).items;
      expect(items[0]).toMatchObject({
        fileName: 'report.bin',
        fileSize: payload.byteLength,
        transferType: 'WebRTC',
        sender: { email: alice.email },
      });
    } finally {
      receiver.kill('SIGTERM');
    }
  }, 180_000);

  it('send fails clearly when the receiver has no device online', async () => {
    const carol = await person('Carol');
    const source = join(work, 'small.txt');
    await writeFile(source, 'hello');
    const sent = await carol.cli(['send', source, '--to', 'nobody-online@example.test']);
    expect(sent.code).toBe(1);
    expect(sent.stderr).toContain('no device online');
  }, 60_000);
});
