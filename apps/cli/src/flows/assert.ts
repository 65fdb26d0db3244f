import { describeError } from '../lib/errors.js';

/** A failed check inside a flow; its message is what the e2e table reports. */
export class FlowAssertionError extends Error {
  override name = 'FlowAssertionError';
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new FlowAssertionError(message);
}

export function equal<T>(actual: T, expected: T, what: string) {
  if (!Object.is(actual, expected)) {
    throw new FlowAssertionError(
      `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
    );
  }
}

/** Awaits `promise`, which must fail with the tRPC `code` and, when given, the `reason`. */
export async function rejects(
  promise: Promise<unknown>,
  expected: { code: string; reason?: string },
  what: string,
) {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    const info = describeError(error, '');
    const got = `${info.code ?? 'no code'}${info.reason ? ` ${info.reason}` : ''}`;
    if (info.code !== expected.code || (expected.reason && info.reason !== expected.reason)) {
      throw new FlowAssertionError(
        `${what}: expected ${expected.code}${expected.reason ? ` ${expected.reason}` : ''}, got ${got} (${info.message})`,
      );
    }
    return info;
  }
  throw new FlowAssertionError(
    `${what}: expected ${expected.code}${expected.reason ? ` ${expected.reason}` : ''}, but it succeeded with ${JSON.stringify(outcome)}`,
  );
}
