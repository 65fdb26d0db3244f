import { z } from 'zod';
import { authenticatorTransport, securityEventType, securityFlag, userRole } from './schemas.js';

/**
 * Output schemas of SPEC §4: they document the REST surface (OpenAPI) and make sure nothing but
 * these fields ever leaves a procedure.
 */
export const publicUser = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  emailVerified: z.boolean(),
  createdAt: z.date(),
});

export const tokenPair = z.object({
  accessToken: z.string(),
  accessTokenExpiresAt: z.date(),
  refreshToken: z.string(),
  refreshTokenExpiresAt: z.date(),
});

export const sessionView = z.object({
  id: z.uuid(),
  deviceId: z.string(),
  device: z.object({
    name: z.string().optional(),
    browser: z.string().optional(),
    os: z.string().optional(),
    type: z.string().optional(),
  }),
  ip: z.string().optional(),
  createdAt: z.date(),
  lastUsedAt: z.date(),
  expiresAt: z.date(),
  current: z.boolean(),
});

const party = z.object({ id: z.uuid(), email: z.string(), name: z.string() });

export const transferView = z.object({
  id: z.uuid(),
  sender: party,
  receiver: party,
  fileName: z.string(),
  fileSize: z.number().int(),
  fileType: z.string(),
  timeElapsed: z.number().int(),
  transferType: z.enum(['WebRTC', 'Relay']),
  completedAt: z.date(),
});

const memory = z.object({
  rss: z.number(),
  heapTotal: z.number(),
  heapUsed: z.number(),
  external: z.number(),
});

export const healthOutput = z.object({
  app: z.object({
    status: z.literal('up'),
    uptime: z.number(),
    version: z.string(),
    memoryUsage: memory,
  }),
  database: z.object({
    status: z.enum(['healthy', 'down']),
    latencyMs: z.number().nullable(),
    driver: z.enum(['pglite', 'postgres']),
  }),
});

export const ok = z.object({ ok: z.literal(true) });
export const sessionIdOutput = z.object({ sessionId: z.uuid() });
export const signUpOutput = z.object({ user: publicUser });
export const verifyEmailOutput = z.object({
  verified: z.literal(true),
  alreadyVerified: z.boolean(),
});
export const signedInOutput = tokenPair.extend({
  user: publicUser,
  session: z.object({ id: z.uuid(), deviceId: z.string() }),
});
/** The account has a second factor: finish with `auth.verifyMfa`; no session exists yet (SPEC §9). */
export const mfaRequiredOutput = z.object({
  mfaRequired: z.literal(true),
  challengeToken: z.string(),
  methods: z.array(z.enum(['totp', 'recovery', 'passkey'])),
});
export const signInOutput = z.union([signedInOutput, mfaRequiredOutput]);
export const meOutput = z.object({
  user: publicUser,
  session: sessionView.extend({ mfa: z.boolean() }),
});
export const mfaStatusOutput = z.object({
  totp: z.boolean(),
  passkeys: z.number().int().nonnegative(),
  recoveryCodesLeft: z.number().int().nonnegative(),
});
export const passkeyView = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
});
export const passkeyListOutput = z.array(passkeyView);

/** WebAuthn options in their JSON form, as `@simplewebauthn/browser` takes them. */
const credentialDescriptor = z.object({
  id: z.string(),
  type: z.literal('public-key'),
  transports: z.array(authenticatorTransport).optional(),
});
const userVerification = z.enum(['discouraged', 'preferred', 'required']);
export const passkeyCreationOptions = z.object({
  rp: z.object({ id: z.string().optional(), name: z.string() }),
  user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  challenge: z.string(),
  pubKeyCredParams: z.array(z.object({ alg: z.number(), type: z.literal('public-key') })),
  timeout: z.number().optional(),
  excludeCredentials: z.array(credentialDescriptor).optional(),
  authenticatorSelection: z
    .object({
      authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
      requireResidentKey: z.boolean().optional(),
      residentKey: z.enum(['discouraged', 'preferred', 'required']).optional(),
      userVerification: userVerification.optional(),
    })
    .optional(),
  attestation: z.enum(['none', 'indirect', 'direct', 'enterprise']).optional(),
  extensions: z.object({ credProps: z.boolean().optional() }).optional(),
});
export const passkeyRequestOptions = z.object({
  challenge: z.string(),
  timeout: z.number().optional(),
  rpId: z.string().optional(),
  allowCredentials: z.array(credentialDescriptor).optional(),
  userVerification: userVerification.optional(),
});
export const totpEnrollOutput = z.object({ secret: z.string(), otpauthUri: z.string() });
export const recoveryCodesOutput = z.object({ recoveryCodes: z.array(z.string()) });
export const revokeAllOutput = z.object({ revoked: z.array(z.uuid()) });
export const transferListOutput = z.object({
  items: z.array(transferView),
  nextCursor: z.string().nullable(),
});
const directionStats = z.object({
  count: z.number().int().nonnegative(),
  // Not `.int()`: zod's integers stop at 2^53, and the bytes of many 1 TiB files pass it (SPEC §6.1).
  bytes: z.number().nonnegative(),
});
export const transferStatsOutput = z.object({ sent: directionStats, received: directionStats });
export const deliveryOutput = z.object({ delivered: z.boolean(), peers: z.number().int() });
export const iceServersOutput = z.object({
  iceServers: z.array(
    z.object({
      urls: z.array(z.string()),
      username: z.string().optional(),
      credential: z.string().optional(),
    }),
  ),
  ttlSeconds: z.number().int(),
});

export const presenceOutput = z.object({
  contacts: z.array(
    z.object({
      email: z.string(),
      name: z.string(),
      online: z.boolean(),
      lastTransferAt: z.date(),
    }),
  ),
});

export const securityEventView = z.object({
  id: z.uuid(),
  type: securityEventType,
  at: z.date(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  browser: z.string().nullable(),
  os: z.string().nullable(),
  deviceId: z.string().nullable(),
  sessionId: z.uuid().nullable(),
  flags: z.array(securityFlag),
  detail: z.record(z.string(), z.unknown()),
});
export const securityLogOutput = z.object({
  items: z.array(securityEventView),
  nextCursor: z.string().nullable(),
});

export const deviceStartOutput = z.object({
  deviceCode: z.string(),
  userCode: z.string(),
  verificationUri: z.string(),
  verificationUriComplete: z.string(),
  expiresIn: z.number().int(),
  interval: z.number().int(),
});
/** Still waiting (or refused, or too late), else the signIn success shape, once. */
export const devicePollOutput = z.union([
  signedInOutput,
  z.object({ status: z.enum(['pending', 'slow_down', 'denied', 'expired']) }),
]);
export const deviceDescriptionOutput = z.object({
  clientName: z.string(),
  ip: z.string().nullable(),
  browser: z.string().nullable(),
  os: z.string().nullable(),
  createdAt: z.date(),
  expiresAt: z.date(),
});

/** SPEC §10: the account's own data, as `account.export` hands it over (no hash, no secret). */
export const userOutput = z.object({ user: publicUser });
const exportedSession = sessionView.omit({ current: true }).extend({
  revokedAt: z.date().nullable(),
  revokedReason: z.string().nullable(),
});
export const accountExportOutput = z.object({
  exportedAt: z.date(),
  profile: publicUser.extend({ role: userRole }),
  sessions: z.array(exportedSession),
  transfers: z.array(transferView),
  securityEvents: z.array(securityEventView),
});

/** What an admin sees of an account (SPEC §10). */
export const adminUserView = publicUser.extend({
  role: userRole,
  disabledAt: z.date().nullable(),
  disabledReason: z.string().nullable(),
});
export const adminUserOutput = z.object({ user: adminUserView });
export const adminUserListOutput = z.object({
  items: z.array(adminUserView),
  nextCursor: z.string().nullable(),
});
export const adminUserDetailOutput = z.object({
  user: adminUserView,
  sessions: z.array(sessionView),
  recentEvents: z.array(securityEventView),
});
export const adminStatsOutput = z.object({
  users: z.number().int().nonnegative(),
  verifiedUsers: z.number().int().nonnegative(),
  activeSessions: z.number().int().nonnegative(),
  onlinePeers: z.number().int().nonnegative(),
  transfersLast24h: z.number().int().nonnegative(),
});
