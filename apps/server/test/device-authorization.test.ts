import { eq, sql } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceAuthorizations } from '../src/db/schema.js';
import { sha256 } from '../src/services/secrets.js';
import { clientWithToken, signedInUser, signInAs, verifiedAccount } from './support/accounts.js';
import { errorData } from './support/errors.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';

// SPEC §11: device authorization (RFC 8628), so the CLI never handles a password.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS: roomyLimits() } });
});
afterAll(() => server.stop());

const CLI_DEVICE = '33333333-3333-4333-8333-333333333333';

async function started(clientName = 'cryptweb CLI on build-box') {
  return server.client({ 'user-agent': 'cryptweb-cli/0.1.0 node/20' }).auth.device.start.mutate({
    clientName,
    device: { id: CLI_DEVICE },
  });
}

/** The poll after the current interval has passed, without waiting it out in real time. */
async function pollNow(deviceCode: string) {
  await server.app.deps.db.execute(
    sql`update device_authorizations set last_polled_at = now() - interval '1 hour'`,
  );
  return server.client().auth.device.poll.mutate({ deviceCode });
}

describe('device authorization (SPEC §11)', () => {
  it('start → pending → approve in the browser → the poll gets a session, once', async () => {
    const approver = await signedInUser(server, { name: 'Approver' });
    const codes = await started();
    expect(codes.userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(codes).toMatchObject({
      expiresIn: 600,
      interval: 5,
      verificationUri: `${server.app.deps.env.APP_URL.replace(/\/$/, '')}/app/device`,
    });
    expect(codes.verificationUriComplete).toBe(
      `${codes.verificationUri}?code=${encodeURIComponent(codes.userCode)}`,
    );

    expect(await pollNow(codes.deviceCode)).toEqual({ status: 'pending' });
    // What the approval page shows, typed any way a person types it.
    const typed = codes.userCode.toLowerCase().replace('-', ' ');
    const described = await approver.client.auth.device.lookup.mutate({ userCode: typed });
    expect(described).toMatchObject({ clientName: 'cryptweb CLI on build-box', ip: '127.0.0.1' });
    await approver.client.auth.device.approve.mutate({ userCode: typed });

    const answer = await pollNow(codes.deviceCode);
    if ('status' in answer) throw new Error(`expected a session, got ${answer.status}`);
    expect(answer.user.email).toBe(approver.email);
    expect(answer.session.deviceId).toBe(CLI_DEVICE);
    // The approving session's proof stands behind the new one.
    expect(decodeJwt(answer.accessToken).amr).toEqual(['pwd']);
    const me = await clientWithToken(server, answer.accessToken).auth.me.query();
    expect(me.session.device.name).toBe('cryptweb CLI on build-box');

    // Single use: the code is spent, and cannot be decided again.
    expect(await pollNow(codes.deviceCode)).toEqual({ status: 'expired' });
    expect(
      (await errorData(approver.client.auth.device.approve.mutate({ userCode: codes.userCode })))
        .reason,
    ).toBe('TOKEN_USED');
  });

  it('an approval dies with the session that gave it', async () => {
    const account = await verifiedAccount(server, 'Owner');
    const owner = await signInAs(server, account);
    const stolen = await signInAs(server, account);
    const codes = await started();
    await stolen.client.auth.device.approve.mutate({ userCode: codes.userCode });
    // The owner ends the session that approved before the code was used.
    await owner.client.sessions.revokeAll.mutate({ includeCurrent: false });
    expect(await pollNow(codes.deviceCode)).toEqual({ status: 'denied' });
    expect(await pollNow(codes.deviceCode)).toEqual({ status: 'denied' });
  });

  it('polling faster than the interval answers slow_down and lengthens it', async () => {
    const codes = await started();
    expect(await server.client().auth.device.poll.mutate({ deviceCode: codes.deviceCode })).toEqual(
      {
        status: 'pending',
      },
    );
    expect(await server.client().auth.device.poll.mutate({ deviceCode: codes.deviceCode })).toEqual(
      {
        status: 'slow_down',
      },
    );
    const [row] = await server.app.deps.db
      .select({ interval: deviceAuthorizations.pollIntervalSeconds })
      .from(deviceAuthorizations)
      .where(eq(deviceAuthorizations.deviceCodeHash, sha256(codes.deviceCode)));
    expect(row?.interval).toBe(10);
  });

  it('a denied code never signs in; an expired one says so; an unknown one is invalid', async () => {
    const owner = await signedInUser(server, { name: 'Denier' });
    const denied = await started();
    await owner.client.auth.device.deny.mutate({ userCode: denied.userCode });
    expect(await pollNow(denied.deviceCode)).toEqual({ status: 'denied' });
    expect(
      (await errorData(owner.client.auth.device.approve.mutate({ userCode: denied.userCode })))
        .reason,
    ).toBe('TOKEN_USED');

    const late = await started();
    await server.app.deps.db.execute(
      sql`update device_authorizations set expires_at = now() - interval '1 second' where status = 'pending'`,
    );
    expect(
      (await errorData(owner.client.auth.device.approve.mutate({ userCode: late.userCode })))
        .reason,
    ).toBe('TOKEN_EXPIRED');
    expect(await pollNow(late.deviceCode)).toEqual({ status: 'expired' });

    expect(
      (await errorData(server.client().auth.device.poll.mutate({ deviceCode: 'made-up' }))).reason,
    ).toBe('TOKEN_INVALID');
    expect(
      (await errorData(owner.client.auth.device.lookup.mutate({ userCode: 'BBBB-BBBB' }))).reason,
    ).toBe('TOKEN_INVALID');
  });

  it('approving needs a session, and two approvals at once make one decision', async () => {
    const codes = await started();
    expect(
      (await errorData(server.client().auth.device.approve.mutate({ userCode: codes.userCode })))
        .code,
    ).toBe('UNAUTHORIZED');
    const one = await signedInUser(server, { name: 'First' });
    const two = await signedInUser(server, { name: 'Second' });
    const outcomes = await Promise.allSettled([
      one.client.auth.device.approve.mutate({ userCode: codes.userCode }),
      two.client.auth.device.approve.mutate({ userCode: codes.userCode }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const answer = await pollNow(codes.deviceCode);
    if ('status' in answer) throw new Error(`expected a session, got ${answer.status}`);
    const winner = outcomes[0]?.status === 'fulfilled' ? one : two;
    expect(answer.user.email).toBe(winner.email);
  });

  it('concurrent polls after approval open one session', async () => {
    const owner = await signedInUser(server, { name: 'Racer' });
    const codes = await started();
    await owner.client.auth.device.approve.mutate({ userCode: codes.userCode });
    await server.app.deps.db.execute(
      sql`update device_authorizations set last_polled_at = null where status = 'approved'`,
    );
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        server.client().auth.device.poll.mutate({ deviceCode: codes.deviceCode }),
      ),
    );
    expect(answers.filter((a) => !('status' in a))).toHaveLength(1);
  });
});
