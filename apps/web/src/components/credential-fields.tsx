import { fieldError, type Problem, type Reason } from '../errors.js';
import { Field } from './field.js';

/**
 * How INVALID_CREDENTIALS reads on a form of a signed-in person: it can only be about the current
 * password they typed (not "wrong email or password", as on the sign-in form).
 */
export const CURRENT_PASSWORD_WRONG: Partial<Record<Reason, string>> = {
  INVALID_CREDENTIALS: 'Your current password is not right.',
};

/** The "Current password" input of forms that ask again before a sensitive change. */
export function CurrentPasswordField({
  problem,
  value,
  onValue,
}: {
  problem: Problem | null;
  value: string;
  onValue: (value: string) => void;
}) {
  return (
    <Field
      label="Current password"
      type="password"
      autoComplete="current-password"
      required
      value={value}
      onValue={onValue}
      error={
        fieldError(problem, 'currentPassword') ??
        (problem?.reason === 'INVALID_CREDENTIALS' ? 'is not right' : undefined)
      }
    />
  );
}

/** The second sign-in factor: a code from the authenticator app, or one of the recovery codes. */
export function SecondFactorField({
  value,
  onValue,
  error,
}: {
  value: string;
  onValue: (value: string) => void;
  error: string | undefined;
}) {
  return (
    <Field
      label="Authentication code"
      hint="The 6-digit code from your authenticator app, or one of your recovery codes."
      autoComplete="one-time-code"
      required
      maxLength={64}
      value={value}
      onValue={onValue}
      error={error}
    />
  );
}
