import { describeError } from '../lib/errors.js';
import {
  deleteFlow,
  emailChangeFlow,
  exportFlow,
  profileFlow,
  securityLogFlow,
} from './account.js';
import { adminDisableFlow, adminStatsFlow } from './admin.js';
import { FlowAssertionError } from './assert.js';
import { changePasswordFlow } from './change-password.js';
import type { FlowContext } from './context.js';
import { deviceFlow } from './device.js';
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
  /** `admin`: runs only when the context has an admin address (a server e2e spawned). */
  needs?: 'admin';
}

/** SPEC §5, §9, §10 and §11, in the order a person meets them. */
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
  // SPEC §11 and §10: on sessions already open (the device flow makes one without a password).
  { name: 'device sign-in (browser approval)', run: deviceFlow },
  { name: 'security log', run: securityLogFlow },
  { name: 'profile rename', run: profileFlow },
  { name: 'email change + code', run: emailChangeFlow },
  { name: 'account export', run: exportFlow },
  { name: 'admin stats + users', run: adminStatsFlow, needs: 'admin' },
  { name: 'admin disable + enable', run: adminDisableFlow, needs: 'admin' },
  { name: 'account delete', run: deleteFlow },
];

/** Why a flow does not run in this context, or undefined when it does. */
function skipReason(flow: Flow, ctx: FlowContext): string | undefined {
  if (flow.needs === 'admin' && !ctx.adminEmail) {
    return 'needs an admin: runs when e2e starts the server itself (not with --url)';
  }
  return undefined;
}

export interface FlowResult {
  name: string;
  /** True for a skipped flow too: nothing failed. */
  ok: boolean;
  ms: number;
  error?: string;
  /** Why the flow did not run here. */
  skipped?: string;
}

/** Runs every flow in order; a failure is recorded and the next flow still runs. */
export async function runFlows(
  ctx: FlowContext,
  flows: Flow[] = FLOWS,
  onResult?: (result: FlowResult) => void,
): Promise<FlowResult[]> {
  const results: FlowResult[] = [];
  for (const flow of flows) {
    const skipped = skipReason(flow, ctx);
    if (skipped) {
      const result = { name: flow.name, ok: true, ms: 0, skipped };
      results.push(result);
      onResult?.(result);
      continue;
    }
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
