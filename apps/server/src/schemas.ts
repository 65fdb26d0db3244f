import { z } from 'zod';

/**
 * Free text that reaches the database: PostgreSQL refuses NUL characters in text, so they are
 * refused here as invalid input rather than failing later.
 */
const text = () => z.string().regex(/^[^\0]*$/, 'must not contain NUL characters');

/** Trimmed and lower-cased: emails compare case-insensitively everywhere. */
export const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('must be a valid email').max(254));
export const name = text()
  .trim()
  .min(1, 'must not be empty')
  .max(30, 'must be at most 30 characters');
export const newPassword = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(128, 'must be at most 128 characters');
/** Checking a password never reveals policy: any non-empty string up to the maximum is compared. */
const anyPassword = z.string().min(1, 'is required').max(128, 'must be at most 128 characters');

export const signUpInput = z.object({ name, email, password: newPassword });
export const verifyEmailInput = z.object({
  email,
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, 'must be 6 digits'),
});
export const emailInput = z.object({ email });
export const signInInput = z.object({
  email,
  password: anyPassword,
  device: z
    .object({
      /** A non-browser client's own device id (browsers send the `deviceId` cookie instead). */
      id: z.uuid('must be a device id').optional(),
      name: text().trim().min(1).max(64).optional(),
    })
    .optional(),
});
export const refreshInput = z
  .object({ refreshToken: z.string().min(1).max(512).optional() })
  .nullish();
export const changePasswordInput = z.object({ currentPassword: anyPassword, newPassword });
export const resetPasswordInput = z.object({
  token: z.string().trim().min(1, 'is required').max(512),
  password: newPassword,
  confirmPassword: z.string().max(128),
});
export const revokeSessionInput = z.object({ sessionId: z.uuid('must be a session id') });
export const revokeAllInput = z.object({ includeCurrent: z.boolean().default(true) }).nullish();

/** A code from the authenticator, or a recovery code (SPEC §9); spaces and dashes are ignored. */
const secondFactorCode = z.string().trim().min(6, 'is required').max(64);
const totpCode = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'must be 6 digits');
export const enrollTotpInput = z.object({ currentPassword: anyPassword });
export const confirmTotpInput = z.object({ code: totpCode });
export const reauthWithCodeInput = z.object({
  currentPassword: anyPassword,
  code: secondFactorCode,
});

/** WebAuthn's JSON encoding (SimpleWebAuthn's RegistrationResponseJSON/AuthenticationResponseJSON). */
const base64url = (max: number) =>
  z
    .string()
    .min(1, 'is required')
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');
/** The ways an authenticator is reached, as WebAuthn lists them; others are dropped when stored. */
export const authenticatorTransport = z.enum([
  'ble',
  'cable',
  'hybrid',
  'internal',
  'nfc',
  'smart-card',
  'usb',
]);
export type AuthenticatorTransport = z.output<typeof authenticatorTransport>;
const credentialFields = {
  id: base64url(1024),
  rawId: base64url(1024),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  // Only the extension CryptWeb reads is kept; browsers may report others, which are dropped.
  clientExtensionResults: z
    .object({ credProps: z.object({ rk: z.boolean().optional() }).optional() })
    .default({}),
  type: z.literal('public-key'),
};
export const registrationResponse = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url(8 * 1024),
    attestationObject: base64url(64 * 1024),
    authenticatorData: base64url(16 * 1024).optional(),
    transports: z.array(z.string().max(32)).max(8).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(8 * 1024).optional(),
  }),
});
export const authenticationResponse = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url(8 * 1024),
    authenticatorData: base64url(16 * 1024),
    signature: base64url(2 * 1024),
    userHandle: base64url(256).optional(),
  }),
});

const challengeToken = z.string().trim().min(1, 'is required').max(512);
export const verifyMfaInput = z
  .object({
    challengeToken,
    totp: totpCode.optional(),
    recoveryCode: secondFactorCode.optional(),
    passkey: authenticationResponse.optional(),
  })
  .refine(
    (value) =>
      [value.totp, value.recoveryCode, value.passkey].filter((v) => v !== undefined).length === 1,
    { message: 'give one of totp, recoveryCode or passkey', path: ['totp'] },
  );

const passkeyName = text().trim().min(1, 'must not be empty').max(64);
export const passkeyRegistrationOptionsInput = z
  .object({
    /** Needed when the session's sign-in is older than 10 minutes (SPEC §9). */
    currentPassword: anyPassword.optional(),
  })
  .nullish();
export const registerPasskeyInput = z.object({
  response: registrationResponse,
  name: passkeyName,
});
export const passkeyIdInput = z.object({ id: z.uuid('must be a passkey id') });
export const renamePasskeyInput = passkeyIdInput.extend({ name: passkeyName });
export const removePasskeyInput = passkeyIdInput.extend({ currentPassword: anyPassword });
export const passkeyOptionsInput = z
  .object({
    /** A sign-in waiting for its second factor: the options then list that account's passkeys. */
    challengeToken: challengeToken.optional(),
  })
  .nullish();
export const signInWithPasskeyInput = z.object({
  response: authenticationResponse,
  device: signInInput.shape.device,
});

export type SignUpInput = z.output<typeof signUpInput>;
export type VerifyMfaInput = z.output<typeof verifyMfaInput>;
export type SignInInput = z.output<typeof signInInput>;
export type ResetPasswordInput = z.output<typeof resetPasswordInput>;

const MAX_SDP = 64 * 1024;
const MAX_CANDIDATE = 4 * 1024;

export const signalingTarget = z.union([
  z.strictObject({ email }),
  z.strictObject({ peerId: text().min(1).max(64) }),
]);
export const sendOfferInput = z.object({
  to: signalingTarget,
  offer: z.object({
    type: z.literal('offer'),
    sdp: text().min(1).max(MAX_SDP, 'must be at most 64 KiB'),
  }),
});
export const sendAnswerInput = z.object({
  to: signalingTarget,
  answer: z.object({
    type: z.literal('answer'),
    sdp: text().min(1).max(MAX_SDP, 'must be at most 64 KiB'),
  }),
});
export const sendIceCandidateInput = z.object({
  to: signalingTarget,
  candidate: z.object({
    candidate: text().max(MAX_CANDIDATE, 'must be at most 4 KiB'),
    sdpMid: text().max(256).nullish(),
    sdpMLineIndex: z.number().int().min(0).max(1024).nullish(),
    usernameFragment: text().max(256).nullish(),
  }),
});
export const markConnectedInput = z.object({ peerId: text().min(1).max(64) });

export const MAX_FILE_SIZE = 2 ** 40;

export const completeTransferInput = z.object({
  receiverEmail: email,
  fileName: text().trim().min(1).max(255),
  // 1 TiB: sums of many such sizes stay exact in a double (SPEC §6.1).
  fileSize: z.number().int().min(0).max(MAX_FILE_SIZE, 'must be at most 1 TiB'),
  fileType: text().max(255),
  timeElapsed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  transferType: z.enum(['WebRTC', 'Relay']),
});
export const listTransfersInput = z
  .object({
    direction: z.enum(['sent', 'received', 'all']).default('all'),
    limit: z.number().int().min(1).max(100).default(20),
    cursor: text().min(1).max(200).optional(),
  })
  .default({ direction: 'all', limit: 20 });

export type CompleteTransferInput = z.output<typeof completeTransferInput>;
export type ListTransfersInput = z.output<typeof listTransfersInput>;

/** The security log's event types (SPEC §10), as clients filter by them. */
export const securityEventType = z.enum([
  'sign-in',
  'sign-in-failed',
  'mfa-failed',
  'refresh-reused',
  'password-changed',
  'password-reset',
  'mfa-enabled',
  'mfa-disabled',
  'passkey-added',
  'passkey-removed',
  'session-revoked',
  'new-device',
  'email-changed',
  'account-disabled',
  'admin-action',
]);
export const securityFlag = z.enum(['new-device', 'new-network', 'many-failures', 'token-reuse']);
export type SecurityEventType = z.output<typeof securityEventType>;
export type SecurityFlag = z.output<typeof securityFlag>;
const pageCursor = z.string().trim().min(1).max(256);
export const securityLogInput = z
  .object({
    limit: z.number().int().min(1).max(100).default(20),
    cursor: pageCursor.optional(),
    type: securityEventType.optional(),
  })
  .nullish();
export const reportSignInInput = z.object({
  token: z.string().trim().min(1, 'is required').max(512),
});

/** Device authorization (RFC 8628, SPEC §11). */
export const deviceStartInput = z.object({
  clientName: text().trim().min(1, 'is required').max(64),
  device: signInInput.shape.device,
});
export const devicePollInput = z.object({
  deviceCode: z.string().trim().min(1, 'is required').max(512),
});
export const userCodeInput = z.object({
  userCode: z
    .string()
    .trim()
    .max(32)
    .refine((code) => code.replace(/[^A-Za-z]/g, '').length === 8, 'must be 8 letters (XXXX-XXXX)'),
});

/** SPEC §10: the signed-in account's own lifecycle. */
export const updateProfileInput = z.object({ name });
export const changeEmailInput = z.object({ newEmail: email, currentPassword: anyPassword });
export const confirmEmailChangeInput = z.object({ code: verifyEmailInput.shape.code });
export const deleteAccountInput = z.object({
  currentPassword: anyPassword,
  // Typed by the person, so a stray call or a replayed form cannot delete an account.
  confirm: z.literal('DELETE', 'must be the word DELETE'),
});

/** SPEC §10: administration (admins only). */
export const userRole = z.enum(['user', 'admin']);
export type UserRole = z.output<typeof userRole>;
const userId = z.uuid('must be a user id');
export const adminUserIdInput = z.object({ userId });
export const adminListUsersInput = z
  .object({
    /** Part of an email or a name, case-insensitive. */
    query: text().trim().max(254).optional(),
    cursor: pageCursor.optional(),
    limit: z.number().int().min(1).max(100).default(50),
  })
  .nullish();
export const adminSetRoleInput = z.object({ userId, role: userRole });
export const adminDisableInput = z.object({
  userId,
  reason: text().trim().min(1, 'must not be empty').max(500),
});
export const adminRevokeSessionInput = revokeSessionInput;
export const adminSecurityEventsInput = z
  .object({
    userId: userId.optional(),
    type: securityEventType.optional(),
    flagged: z.boolean().optional(),
    cursor: pageCursor.optional(),
    limit: z.number().int().min(1).max(100).default(50),
  })
  .nullish();
