import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, createApp, parseEnv } from '@cryptweb/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import WebSocket from 'ws';
import {
  type CryptwebClient,
  createCryptwebClient,
  type FileSink,
  type PeerConnectionLike,
  receiveFile,
  sendFile,
} from '../src/index.js';

// werift is a standard-shaped RTCPeerConnection for Node; no ICE servers on a closed network.
const createPeerConnection = () =>
  new RTCPeerConnection({ iceServers: [] }) as unknown as PeerConnectionLike;

async function codeFor(dataDir: string, email: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const text = await readFile(path.join(dataDir, 'mail.jsonl'), 'utf8').catch(() => '');
    const mail = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { to: string; kind: string; code?: string })
      .find((m) => m.to === email && m.kind === 'verify-email');
    if (mail?.code) return mail.code;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no code for ${email}`);
}

describe('peer-to-peer file transfer helper (werift in Node)', () => {
  let app: App;
  let url: string;
  let dataDir: string;
  const users: { email: string; client: CryptwebClient }[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'cryptweb-client-transfer-'));
    app = await createApp({
      env: parseEnv({
        NODE_ENV: 'test',
        PORT: '0',
        DATA_DIR: dataDir,
        BCRYPT_COST: '4',
        JWT_SECRET: 'client-transfer-test-secret-0123456789',
        STUN_URLS: '',
        LOG_LEVEL: 'warn',
      }),
    });
    url = await app.listen();
    for (const name of ['Sender', 'Receiver']) {
      const email = `${name.toLowerCase()}.${process.pid}@example.test`;
      const client = createCryptwebClient({
        url,
        WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      });
      await client.auth.signUp.mutate({ name, email, password: 'peer to peer is fast' });
      await client.auth.verifyEmail.mutate({ email, code: await codeFor(dataDir, email) });
      await client.auth.signIn.mutate({ email, password: 'peer to peer is fast' });
      users.push({ email, client });
    }
  });

  afterAll(async () => {
    for (const user of users) await user.client.close();
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('moves a file over a data channel, verifies SHA-256 at the receiver and records the transfer', async () => {
    const [sender, receiver] = users;
    if (!sender || !receiver) throw new Error('users missing');
    const payload = randomBytes(1024 * 1024 + 123);
    const received: Uint8Array[] = [];
    let closed = false;
    const sink: FileSink = {
      write: (chunk) => {
        received.push(Uint8Array.from(chunk));
      },
      close: () => {
        closed = true;
      },
      abort: () => {},
    };
    const progress: number[] = [];
    const receiving = receiveFile({
      client: receiver.client,
      createPeerConnection,
      sink: () => sink,
    });
    // The receiver's subscription must be open before the offer goes out.
    await receiver.client.signaling.connect();
    const sent = await sendFile({
      client: sender.client,
      to: receiver.email,
      createPeerConnection,
      file: {
        name: 'random.bin',
        size: payload.byteLength,
        type: 'application/octet-stream',
        async *chunks() {
          for (let offset = 0; offset < payload.byteLength; offset += 100_000) {
            yield payload.subarray(offset, offset + 100_000);
          }
        },
      },
      onProgress: (p) => progress.push(p.bytes),
    });
    const result = await receiving;

    const expected = createHash('sha256').update(payload).digest('hex');
    expect(sent.sha256).toBe(expected);
    expect(result.sha256).toBe(expected);
    expect(result.meta).toEqual({
      name: 'random.bin',
      size: payload.byteLength,
      type: 'application/octet-stream',
    });
    expect(result.from.email).toBe(sender.email);
    expect(closed).toBe(true);
    expect(Buffer.concat(received).equals(payload)).toBe(true);
    expect(progress.at(-1)).toBe(payload.byteLength);
    expect(progress.length).toBeGreaterThan(10);

    expect(sent.transfer).toMatchObject({
      fileName: 'random.bin',
      fileSize: payload.byteLength,
      transferType: 'WebRTC',
      sender: { email: sender.email },
      receiver: { email: receiver.email },
    });
    const history = await receiver.client.transfers.list.query({ direction: 'received' });
    expect(history.items.map((t) => t.id)).toContain(sent.transfer.id);
  }, 60_000);

  it('refuses to send to someone with no device online', async () => {
    const [sender] = users;
    if (!sender) throw new Error('users missing');
    await expect(
      sendFile({
        client: sender.client,
        to: 'nobody-online@example.test',
        createPeerConnection,
        file: {
          name: 'x',
          size: 1,
          type: 'text/plain',
          async *chunks() {
            yield new Uint8Array([1]);
          },
        },
      }),
    ).rejects.toThrow(/no device online/);
  }, 30_000);
});
