import { lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import {
  busPayloads,
  deviceAuthorizations,
  emailChanges,
  emailCodes,
  knownDevices,
  mailOutbox,
  mfaChallenges,
  passwordResetTokens,
  phantomEmailCodes,
  rateLimits,
  securityEvents,
  sessions,
  signInReports,
  webauthnChallenges,
} from '../db/schema.js';
import type { Env } from '../env.js';
import { isDatabaseUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';

/** Rows past their use are kept this long (answers like TOKEN_USED stay exact meanwhile). */
const KEEP = sql`interval '1 day'`;

/** Deletes expired codes (real and phantom), reset tokens, sign-in and WebAuthn challenges, security events past their retention, not-me links, email changes, device codes, devices unseen for a year, sessions, rate-limit windows, delivered mail, old bus payloads. */
export async function sweepExpired(
  db: Database,
  env: Pick<Env, 'SESSION_IDLE_TTL_SECONDS' | 'SECURITY_EVENT_TTL_DAYS'>,
) {
  const cutoff = sql`now() - ${KEEP}`;
  const [
    codes,
    tokens,
    oldSessions,
    limits,
    mail,
    payloads,
    phantoms,
    devices,
    challenges,
    ceremonies,
    events,
    reports,
    emailChangeCodes,
    deviceCodes,
  ] = await Promise.all([
    db
      .delete(emailCodes)
      .where(lt(emailCodes.expiresAt, cutoff))
      .returning({ id: emailCodes.userId }),
    db
      .delete(passwordResetTokens)
      .where(lt(passwordResetTokens.expiresAt, cutoff))
      .returning({ id: passwordResetTokens.id }),
    db
      .delete(sessions)
      .where(
        or(
          lt(sessions.expiresAt, cutoff),
          lt(sessions.revokedAt, cutoff),
          lt(
            sessions.lastUsedAt,
            sql`${cutoff} - make_interval(secs => ${env.SESSION_IDLE_TTL_SECONDS})`,
          ),
        ),
      )
      .returning({ id: sessions.id }),
    db
      .delete(rateLimits)
      .where(lt(rateLimits.expiresAt, sql`now()`))
      .returning({ key: rateLimits.key }),
    db
      .delete(mailOutbox)
      .where(
        sql`${mailOutbox.status} <> 'pending' and ${mailOutbox.createdAt} < now() - interval '7 days'`,
      )
      .returning({ id: mailOutbox.id }),
    // Large bus messages are read within milliseconds of their notification.
    db
      .delete(busPayloads)
      .where(lt(busPayloads.createdAt, sql`now() - interval '1 minute'`))
      .returning({ id: busPayloads.id }),
    db
      .delete(phantomEmailCodes)
      .where(lt(phantomEmailCodes.expiresAt, cutoff))
      .returning({ id: phantomEmailCodes.emailKey }),
    // A device unseen for a year is a stranger again (and its id is forgotten).
    db
      .delete(knownDevices)
      .where(lt(knownDevices.lastSeenAt, sql`now() - interval '1 year'`))
      .returning({ id: knownDevices.deviceId }),
    db
      .delete(mfaChallenges)
      .where(lt(mfaChallenges.expiresAt, cutoff))
      .returning({ id: mfaChallenges.tokenHash }),
    // An unanswered WebAuthn challenge is dead at expiry: nothing answers about it later.
    db
      .delete(webauthnChallenges)
      .where(lt(webauthnChallenges.expiresAt, sql`now()`))
      .returning({ id: webauthnChallenges.challengeHash }),
    db
      .delete(securityEvents)
      .where(
        lt(securityEvents.at, sql`now() - make_interval(days => ${env.SECURITY_EVENT_TTL_DAYS})`),
      )
      .returning({ id: securityEvents.id }),
    db
      .delete(signInReports)
      .where(lt(signInReports.expiresAt, cutoff))
      .returning({ id: signInReports.tokenHash }),
    db
      .delete(emailChanges)
      .where(lt(emailChanges.expiresAt, cutoff))
      .returning({ id: emailChanges.userId }),
    db
      .delete(deviceAuthorizations)
      .where(lt(deviceAuthorizations.expiresAt, cutoff))
      .returning({ id: deviceAuthorizations.deviceCodeHash }),
  ]);
  return {
    emailCodes: codes.length,
    resetTokens: tokens.length,
    sessions: oldSessions.length,
    rateLimits: limits.length,
    mail: mail.length,
    busPayloads: payloads.length,
    phantomEmailCodes: phantoms.length,
    knownDevices: devices.length,
    mfaChallenges: challenges.length,
    webauthnChallenges: ceremonies.length,
    securityEvents: events.length,
    signInReports: reports.length,
    emailChanges: emailChangeCodes.length,
    deviceAuthorizations: deviceCodes.length,
  };
}

/** Sweeps every `intervalMs` (a minute) on every instance; the deletes are idempotent and indexed. */
export function startSweeper(opts: {
  db: Database;
  env: Env;
  logger: Logger;
  intervalMs?: number;
}) {
  const run = () =>
    sweepExpired(opts.db, opts.env).then(
      (counts) => opts.logger.debug({ counts }, 'swept expired rows'),
      (error: unknown) => {
        if (!isDatabaseUnavailable(error)) opts.logger.warn({ err: error }, 'sweep failed');
      },
    );
  const timer = setInterval(run, opts.intervalMs ?? 60_000);
  timer.unref();
  return { run, stop: () => clearInterval(timer) };
}
