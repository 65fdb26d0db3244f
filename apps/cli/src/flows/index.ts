import { describeError } from '../lib/errors.js';
import { FlowAssertionError } from './assert.js';
import { changePasswordFlow } from './change-password.js';
import type { FlowContext } from './context.js';
import { healthFlow } from './health.js';
import { passwordResetFlow } from './password-reset.js';
import { refreshFlow } from './refresh.js';
import { sessionsFlow } from './sessions.js';
import { signInFlow } from './sign-in.js';
import { signOutFlow } from './sign-out.js';
import { signUpFlow } from './sign-up.js';
import { signalingFlow } from './signaling.js';
import { transfersFlow } from './transfers.js';
import {
  recoveryCodeFlow,
  totpDisableFlow,
  totpEnrolFlow,
  totpReplayFlow,
  totpSignInFlow,
} from './two-factor.js';

export interface Flow {
  name: string;
  run(ctx: FlowContext): Promise<void>;
}

/** SPEC §5 and §9, in the order a person meets them. */
export const FLOWS: Flow[] = [
  { name: 'health', run: healthFlow },
  { name: 'sign-up + verify', run: signUpFlow },
  { name: 'sign-in + me', run: signInFlow },
  { name: 'refresh rotation', run: refreshFlow },
  { name: 'sessions + revoke', run: sessionsFlow },
  { name: 'password reset', run: passwordResetFlow },
  { name: 'change password', run: changePasswordFlow },
  { name: 'signaling A ↔ B', run: signalingFlow },
  { name: 'transfers', run: transfersFlow },
  // SPEC §9: each step needs the one before it (one account with two-factor on).
  { name: '2fa enrol + confirm', run: totpEnrolFlow },
  { name: '2fa sign-in (TOTP)', run: totpSignInFlow },
  { name: '2fa code replay refused', run: totpReplayFlow },
  { name: '2fa recovery code once', run: recoveryCodeFlow },
  { name: '2fa disable', run: totpDisableFlow },
  { name: 'sign-out', run: signOutFlow },
];

export interface FlowResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

/** Runs every flow in order; a failure is recorded and the next flow still runs. */
export async function runFlows(
  ctx: FlowContext,
  flows: Flow[] = FLOWS,
  onResult?: (result: FlowResult) => void,
): Promise<FlowResult[]> {
  const results: FlowResult[] = [];
  for (const flow of flows) {
    const started = performance.now();
    let result: FlowResult;
    try {
      await flow.run(ctx);
      result = { name: flow.name, ok: true, ms: Math.round(performance.now() - started) };
    } catch (error) {
      const message = failureMessage(error, ctx.url);
      result = {
        name: flow.name,
        ok: false,
        ms: Math.round(performance.now() - started),
        error: message,
      };
    }
    results.push(result);
    onResult?.(result);
  }
  return results;
}

/** An assertion's own message; for an unexpected server error, its message and reason. */
function failureMessage(error: unknown, url: string): string {
  if (error instanceof FlowAssertionError) return error.message;
  const info = describeError(error, url);
  const label = info.reason ?? info.code;
  return label ? `${info.message} (${label})` : info.message;
}
