import type { TRPCClient } from '@trpc/client';
import type { AppRouter } from '../../src/routers/_app.js';

type SignInAnswer = Awaited<ReturnType<TRPCClient<AppRouter>['auth']['signIn']['mutate']>>;
export type SignedInAnswer = Exclude<SignInAnswer, { mfaRequired: true }>;

/** Narrows `auth.signIn`'s answer to a finished sign-in; an account without a second factor gets one. */
export function sessionOf(answer: SignInAnswer): SignedInAnswer {
  if ('mfaRequired' in answer)
    throw new Error('expected a session, the sign-in asks for a second factor');
  return answer;
}
