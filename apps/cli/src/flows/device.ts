import { check, equal, rejects } from './assert.js';
import type { FlowContext } from './context.js';

const CLIENT_NAME = 'cryptweb e2e device';

/**
 * SPEC §11 device authorization: a client starts, a signed-in session looks the code up and
 * approves it, the client's poll gets a session of its own; a second poll finds the code spent,
 * and a denied code is told so. No password sign-in here: the approver is a session already open.
 */
export async function deviceFlow(ctx: FlowContext) {
  const alice = await ctx.user('alice');
  const approver = await ctx.session(alice);
  const device = ctx.client();
  const codes = await device.auth.device.start.mutate({ clientName: CLIENT_NAME });
  check(/^[A-Z]{4}-[A-Z]{4}$/.test(codes.userCode), `userCode ${codes.userCode}`);
  equal(new URL(codes.verificationUri).pathname, '/app/device', 'verificationUri path');
  equal(
    new URL(codes.verificationUriComplete).searchParams.get('code'),
    codes.userCode,
    'the code in verificationUriComplete',
  );
  check(codes.interval > 0 && codes.expiresIn > codes.interval, 'interval and expiresIn');

  const described = await approver.client.auth.device.lookup.mutate({ userCode: codes.userCode });
  equal(described.clientName, CLIENT_NAME, 'lookup clientName');
  await approver.client.auth.device.approve.mutate({ userCode: codes.userCode });
  // The first poll of a code is never too soon: no need to wait out the interval here.
  const answer = await device.auth.device.poll.mutate({ deviceCode: codes.deviceCode });
  check(!('status' in answer), `the approved poll answered ${JSON.stringify(answer)}`);
  equal(answer.user.email, alice.email, 'the device session user');
  const me = await device.auth.me.query();
  equal(me.session.id, answer.session.id, 'me session.id (the SDK kept the tokens)');
  equal(me.session.device.name, CLIENT_NAME, 'me session.device.name');
  check(me.session.id !== approver.sessionId, 'the device got the approver session');
  ctx.keep(alice, { client: device, sessionId: answer.session.id, userId: answer.user.id });
  const spent = await ctx.client().auth.device.poll.mutate({ deviceCode: codes.deviceCode });
  equal('status' in spent ? spent.status : 'a session', 'expired', 'a second poll');

  const other = ctx.client();
  const refused = await other.auth.device.start.mutate({ clientName: CLIENT_NAME });
  await approver.client.auth.device.deny.mutate({ userCode: refused.userCode });
  const denied = await other.auth.device.poll.mutate({ deviceCode: refused.deviceCode });
  equal('status' in denied ? denied.status : 'a session', 'denied', 'the denied poll');
  check((await other.tokenStore.get()) === null, 'a denied poll stored tokens');
  await rejects(
    approver.client.auth.device.approve.mutate({ userCode: refused.userCode }),
    { code: 'BAD_REQUEST', reason: 'TOKEN_USED' },
    'approving a denied code',
  );
}
