import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../../src/routers/_app.js';

export type ErrorData = NonNullable<TRPCClientError<AppRouter>['data']>;

/** Awaits a call that must fail and returns the `data` of its TRPCClientError. */
export async function errorData(call: Promise<unknown>): Promise<ErrorData> {
  const outcome = await call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok)
    throw new Error(`expected the call to fail, it returned ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof TRPCClientError)) throw outcome.error;
  const data = (outcome.error as TRPCClientError<AppRouter>).data;
  if (!data) throw new Error(`the error carries no data: ${outcome.error.message}`);
  return data;
}
