import { z } from 'zod';

/** Trimmed and lower-cased: emails compare case-insensitively everywhere. */
export const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('must be a valid email').max(254));
export const name = z
  .string()
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
  device: z.object({ name: z.string().trim().min(1).max(64).optional() }).optional(),
});
export const refreshInput = z
  .object({ refreshToken: z.string().min(1).max(512).optional() })
  .optional();
export const changePasswordInput = z.object({ currentPassword: anyPassword, newPassword });
export const resetPasswordInput = z.object({
  token: z.string().trim().min(1, 'is required').max(512),
  password: newPassword,
  confirmPassword: z.string().max(128),
});
export const revokeSessionInput = z.object({ sessionId: z.uuid('must be a session id') });
export const revokeAllInput = z.object({ includeCurrent: z.boolean().default(true) }).optional();

export type SignUpInput = z.output<typeof signUpInput>;
export type SignInInput = z.output<typeof signInInput>;
export type ResetPasswordInput = z.output<typeof resetPasswordInput>;
