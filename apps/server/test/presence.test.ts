import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedInUser } from './support/accounts.js';
import { errorData } from './support/errors.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';
import { connectDevice } from './support/signaling.js';

describe('signaling.presence', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        RATE_LIMITS: roomyLimits(),
      },
    });
  });
  afterAll(() => server.stop());

  it('lists only people the caller exchanged files with, newest first, with who is online', async () => {
    const me = await signedInUser(server, { name: 'Me' });
    const friend = await signedInUser(server, { name: 'Friend' });
    const sender = await signedInUser(server, { name: 'Sender' });
    const stranger = await signedInUser(server, { name: 'Stranger' });
    const file = {
      fileName: 'a.txt',
      fileSize: 1,
      fileType: 'text/plain',
      timeElapsed: 1,
      transferType: 'WebRTC' as const,
    };

    await me.client.transfers.complete.mutate({ ...file, receiverEmail: friend.email });
    await sender.client.transfers.complete.mutate({ ...file, receiverEmail: me.email });
    // The stranger is online but never exchanged a file with me.
    const strangerDevice = await connectDevice(server, stranger.accessToken);
    const friendDevice = await connectDevice(server, friend.accessToken);

    const { contacts } = await me.client.signaling.presence.query();
    expect(contacts.map((c) => c.email)).toEqual([sender.email, friend.email]);
    expect(contacts.find((c) => c.email === friend.email)).toMatchObject({
      name: 'Friend',
      online: true,
    });
    expect(contacts.find((c) => c.email === sender.email)).toMatchObject({ online: false });
    expect(contacts.every((c) => c.lastTransferAt instanceof Date)).toBe(true);

    friendDevice.close();
    strangerDevice.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await me.client.signaling.presence.query();
    expect(after.contacts.find((c) => c.email === friend.email)?.online).toBe(false);

    // The stranger sees nobody: presence cannot be used to probe arbitrary people.
    expect((await stranger.client.signaling.presence.query()).contacts).toEqual([]);
  });

  it('needs a signed-in caller', async () => {
    const data = await errorData(server.client().signaling.presence.query());
    expect(data).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
