import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

type Person = Awaited<ReturnType<typeof person>>;

/** `cryptweb receive` in the background, resolved once it says it is waiting for a file. */
async function startReceiver(who: Person, from: Person, inbox: string) {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(
    process.execPath,
    [
      cliEntry,
      '--url',
      server.url,
      '--config-dir',
      who.configDir,
      'receive',
      '--out',
      inbox,
      '--from',
      from.email,
    ],
    { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const waiting = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString('utf8');
      if (output.stderr.includes('waiting for a file')) resolve();
    });
    void exited.then((code) =>
      reject(new Error(`receive exited early (${code}): ${output.stderr}`)),
    );
  });
  try {
    await waiting;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, output, exited };
}

/** Resolves after `ms`, or with what `promise` gives first. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    }),
  ]).finally(() => clearTimeout(timer));
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

    const receiver = await startReceiver(bob, alice, inbox);
    try {
      const started = Date.now();
      const sent = await alice.cli(['send', source, '--to', bob.email]);
      const seconds = (Date.now() - started) / 1000;
      expect(sent.code, sent.stderr).toBe(0);
      expect(await receiver.exited, receiver.output.stderr).toBe(0);
      console.info(`5 MiB between two cryptweb processes in ${seconds.toFixed(1)} s`);

      const expected = createHash('sha256').update(payload).digest('hex');
      expect(sent.stdout).toContain(expected);
      expect(receiver.output.stdout).toContain(expected);
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
      receiver.child.kill('SIGTERM');
    }
  }, 180_000);

  it('ends 20 transfers in a row with one handshake: both sides exit 0, verified, same bytes', async () => {
    const dave = await person('Dave');
    const erin = await person('Erin');
    const payload = randomBytes(48 * 1024);
    const source = join(work, 'note.bin');
    await writeFile(source, payload);
    const expected = createHash('sha256').update(payload).digest('hex');
    const send = (args: string[]) =>
      runCli(['--url', server.url, '--config-dir', dave.configDir, ...args], {}, 30_000);
    for (let run = 0; run < 20; run++) {
      const inbox = join(work, `inbox-${run}`);
      const receiver = await startReceiver(erin, dave, inbox);
      try {
        // runCli rejects when the sender outlives its 30 s: a hang fails the run too.
        const sent = await send(['send', source, '--to', erin.email]);
        const context = `run ${run}\nsender: ${sent.stderr}\nreceiver: ${receiver.output.stderr}`;
        expect(sent.code, context).toBe(0);
        expect(sent.stdout, context).toMatch(/^sent note\.bin/m);
        expect(sent.stdout, context).toContain(`${expected} verified by the receiver`);
        expect(await within(receiver.exited, 15_000), context).toBe(0);
        expect(receiver.output.stdout, context).toContain(`${expected} verified`);
        const received = await readFile(join(inbox, 'note.bin'));
        expect(received.equals(payload), context).toBe(true);
      } finally {
        receiver.child.kill('SIGKILL');
      }
    }
  }, 600_000);

  /**
   * Starts a send of `bytes` random bytes, waits until the receiver names the file (the first
   * bytes are on their way), runs `meanwhile` on the receiver, SIGKILLs it, and returns the
   * sender's exit code (or 'timeout' after 20 s) with its stderr.
   */
  async function killReceiverDuringSend(
    bytes: number,
    meanwhile: (receiver: ChildProcessByStdio<null, Readable, Readable>) => Promise<void>,
  ) {
    const sender = await person('Sender');
    const receiver = await person('Receiver');
    const source = join(work, `killed-${bytes}.bin`);
    await writeFile(source, randomBytes(bytes));
    const receiving = await startReceiver(receiver, sender, join(work, `inbox-killed-${bytes}`));
    const sending = spawn(
      process.execPath,
      [
        cliEntry,
        '--url',
        server.url,
        '--config-dir',
        sender.configDir,
        'send',
        source,
        '--to',
        receiver.email,
      ],
      { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    sending.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => sending.once('exit', resolve));
    try {
      await vi.waitFor(
        () => {
          if (!receiving.output.stderr.includes('receiving killed-')) throw new Error('not yet');
        },
        { timeout: 60_000, interval: 10 },
      );
      await meanwhile(receiving.child);
      receiving.child.kill('SIGKILL');
      const killedAt = Date.now();
      const code = await within(exited, 20_000);
      console.info(`the sender ended ${Date.now() - killedAt} ms after the receiver was killed`);
      return { code, stderr };
    } finally {
      sending.kill('SIGKILL');
      receiving.child.kill('SIGKILL');
    }
  }

  it('send exits non-zero promptly when the receiver dies mid-transfer', async () => {
    // Large enough to be still moving when the receiver is killed.
    const sent = await killReceiverDuringSend(48 * 1024 * 1024, async () => {});
    expect(sent.code, sent.stderr).toBe(1);
    expect(sent.stderr).toMatch(/error: Receiver went offline|error: the connection to .* closed/);
  }, 180_000);

  it('send exits non-zero promptly when the receiver dies before confirming', async () => {
    // Under the channel's high-water mark: every byte and the end are queued at once, so the
    // sender is waiting for the confirmation while the frozen receiver cannot give it.
    const sent = await killReceiverDuringSend(768 * 1024, async (receiver) => {
      receiver.kill('SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    });
    expect(sent.code, sent.stderr).toBe(1);
    expect(sent.stderr).toMatch(/error: Receiver went offline|error: the connection to .* closed/);
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
