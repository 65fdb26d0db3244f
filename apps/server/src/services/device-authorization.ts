import { randomInt } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { rateLimitSubject } from '../client-ip.js';
import { deviceAuthorizations, sessions } from '../db/schema.js';
import { DomainError } from '../errors.js';
import type { ServiceDeps } from './deps.js';
import { limit } from './rate-limit.js';
import { randomToken, sha256 } from './secrets.js';
import { type ClientInfo, type SignedIn, startSession } from './session-start.js';
import { type AuthSession, callerRows, liveSession } from './sessions.js';
import { describeDevice } from './user-agent.js';
import { findUserById } from './users.js';

/** SPEC §11: a code lives 10 minutes; clients poll every 5 s, slower when told. */
const EXPIRES_IN_SECONDS = 600;
const INTERVAL_SECONDS = 5;
/**
 * RFC 8628 §6.1: consonants only (no vowels, so no words; no look-alikes), 8 of 20 letters:
 * 34 bits, against an approver who must be signed in and is rate-limited.
 */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

function newUserCode(): string {
  const letters = Array.from(
    { length: 8 },
    () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)],
  ).join('');
  return `${letters.slice(0, 4)}-${letters.slice(4)}`;
}

/** What people type: any case, with or without the dash or spaces. */
function userCodeHash(userCode: string): string {
  const letters = userCode.toUpperCase().replace(/[^A-Z]/g, '');
  return sha256(`${letters.slice(0, 4)}-${letters.slice(4)}`);
}

function verificationUri(appUrl: string): string {
  return `${appUrl.replace(/\/+$/, '')}/app/device`;
}

/** A client (the CLI) asks to sign in through a browser: the codes to show its user. */
export async function startDeviceAuthorization(
  deps: Pick<ServiceDeps, 'db' | 'env'>,
  input: { clientName: string; deviceId?: string | undefined },
  client: ClientInfo,
) {
  await limit(deps, 'deviceStart.ip', rateLimitSubject(client.ip));
  const deviceCode = randomToken(32);
  const userCode = newUserCode();
  await deps.db.insert(deviceAuthorizations).values({
    deviceCodeHash: sha256(deviceCode),
    userCodeHash: userCodeHash(userCode),
    clientName: input.clientName,
    clientDeviceId: input.deviceId ?? client.deviceId ?? null,
    ip: client.ip ?? null,
    userAgent: client.userAgent?.slice(0, 512) ?? null,
    pollIntervalSeconds: INTERVAL_SECONDS,
    expiresAt: sql`now() + make_interval(secs => ${EXPIRES_IN_SECONDS})`,
  });
  const uri = verificationUri(deps.env.APP_URL);
  return {
    deviceCode,
    userCode,
    verificationUri: uri,
    verificationUriComplete: `${uri}?code=${encodeURIComponent(userCode)}`,
    expiresIn: EXPIRES_IN_SECONDS,
    interval: INTERVAL_SECONDS,
  };
}

export type DevicePoll =
  | { status: 'pending' | 'slow_down' | 'denied' | 'expired' }
  | (SignedIn & { status?: never });

/**
 * The client's poll. Too soon after the last one → `slow_down` and a longer interval (RFC 8628
 * §3.5); once approved, the first poll opens the session and later ones find it spent.
 */
export async function pollDeviceAuthorization(
  deps: ServiceDeps,
  deviceCode: string,
  client: ClientInfo,
): Promise<DevicePoll> {
  const hash = sha256(deviceCode);
  const t = deviceAuthorizations;
  const answer = await deps.db.transaction(async (tx): Promise<DevicePoll | null> => {
    // Locked, so concurrent polls queue: each sees the one before it, and one session at most.
    const [row] = await tx
      .select({
        status: t.status,
        userId: t.userId,
        amr: t.amr,
        approvedBy: t.approvedBySessionId,
        clientName: t.clientName,
        clientDeviceId: t.clientDeviceId,
        interval: t.pollIntervalSeconds,
        expired: sql<boolean>`${t.expiresAt} <= now()`,
        tooSoon: sql<boolean>`coalesce(${t.lastPolledAt} > now() - make_interval(secs => ${t.pollIntervalSeconds}), false)`,
      })
      .from(t)
      .where(eq(t.deviceCodeHash, hash))
      .for('update');
    if (!row) return null;
    await tx
      .update(t)
      .set({
        lastPolledAt: sql`now()`,
        pollIntervalSeconds: row.tooSoon ? row.interval + INTERVAL_SECONDS : row.interval,
      })
      .where(eq(t.deviceCodeHash, hash));
    if (row.status === 'consumed' || row.expired) return { status: 'expired' };
    if (row.tooSoon) return { status: 'slow_down' };
    if (row.status === 'pending' || row.status === 'denied') return { status: row.status };
    const user = row.userId ? await findUserById(tx, row.userId) : undefined;
    if (!user || !row.approvedBy) return { status: 'expired' };
    // The approval stands only while the session that gave it does (see the column's comment).
    const [approver] = await tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.id, row.approvedBy), liveSession(deps.env)));
    if (!approver) {
      await tx.update(t).set({ status: 'denied' }).where(eq(t.deviceCodeHash, hash));
      return { status: 'denied' };
    }
    await tx.update(t).set({ status: 'consumed' }).where(eq(t.deviceCodeHash, hash));
    return startSession(deps, tx, user, {
      deviceId: row.clientDeviceId ?? crypto.randomUUID(),
      deviceName: row.clientName,
      client,
      // The approving browser session's proof stands behind this one.
      amr: row.amr?.length ? row.amr : ['pwd'],
    });
  });
  if (!answer) throw new DomainError('TOKEN_INVALID');
  deps.mail.kick();
  return answer;
}

/** A live, pending authorization by its user code, for the approving (signed-in) user. */
async function pendingByUserCode(
  deps: Pick<ServiceDeps, 'db' | 'env'>,
  userId: string,
  code: string,
) {
  // Guessing codes needs a session, and even so is held to a budget.
  await limit(deps, 'deviceApprove.user', userId);
  const [row] = await deps.db
    .select({
      deviceCodeHash: deviceAuthorizations.deviceCodeHash,
      status: deviceAuthorizations.status,
      clientName: deviceAuthorizations.clientName,
      ip: deviceAuthorizations.ip,
      userAgent: deviceAuthorizations.userAgent,
      createdAt: deviceAuthorizations.createdAt,
      expiresAt: deviceAuthorizations.expiresAt,
      expired: sql<boolean>`${deviceAuthorizations.expiresAt} <= now()`,
    })
    .from(deviceAuthorizations)
    .where(eq(deviceAuthorizations.userCodeHash, userCodeHash(code)));
  if (!row) throw new DomainError('TOKEN_INVALID');
  if (row.status !== 'pending') throw new DomainError('TOKEN_USED');
  if (row.expired) throw new DomainError('TOKEN_EXPIRED');
  return row;
}

/** What the approval page shows before anyone approves: which client, from where, when. */
export async function describeDeviceAuthorization(
  deps: Pick<ServiceDeps, 'db' | 'env'>,
  auth: AuthSession,
  userCode: string,
) {
  const row = await pendingByUserCode(deps, auth.userId, userCode);
  const device = describeDevice(row.userAgent ?? undefined);
  return {
    clientName: row.clientName,
    ip: row.ip,
    browser: device.browser ?? null,
    os: device.os ?? null,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
}

/** The signed-in user approves (their session's proof goes with it) or denies a pending code. */
export async function decideDeviceAuthorization(
  deps: Pick<ServiceDeps, 'db' | 'env'>,
  auth: AuthSession,
  userCode: string,
  decision: 'approved' | 'denied',
): Promise<{ ok: true }> {
  const row = await pendingByUserCode(deps, auth.userId, userCode);
  const { session } = await callerRows(deps.db, auth);
  const [decided] = await deps.db
    .update(deviceAuthorizations)
    .set({
      status: decision,
      userId: auth.userId,
      approvedBySessionId: auth.sessionId,
      amr: session.amr,
    })
    .where(
      and(
        eq(deviceAuthorizations.deviceCodeHash, row.deviceCodeHash),
        eq(deviceAuthorizations.status, 'pending'),
      ),
    )
    .returning({ status: deviceAuthorizations.status });
  // Decided concurrently (another tab, another user with the same code): the first one stands.
  if (!decided) throw new DomainError('TOKEN_USED');
  return { ok: true };
}
