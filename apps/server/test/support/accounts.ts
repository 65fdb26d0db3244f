import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '../../src/routers/_app.js';
import { waitForMail } from './mailbox.js';
import { type TestServer, uniqueEmail } from './server.js';
import { sessionOf } from './signed-in.js';

export const PASSWORD = 'correct horse battery staple';

export interface SignedInUser {
  email: string;
  name: string;
  password: string;
  userId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  /** A client that sends this user's access token. */
  client: TRPCClient<AppRouter>;
}

export function clientWithToken(
  server: TestServer,
  accessToken: string,
  headers: Record<string, string> = {},
) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${server.url}/trpc`,
        transformer: superjson,
        headers: { authorization: `Bearer ${accessToken}`, ...headers },
      }),
    ],
  });
}

/** Signs up and verifies with the mailed code; returns the email and password. */
export async function verifiedAccount(server: TestServer, name = 'Tester', password = PASSWORD) {
  const email = uniqueEmail(name.toLowerCase().replace(/\W/g, ''));
  const anon = server.client();
  await anon.auth.signUp.mutate({ name, email, password });
  const mail = await waitForMail(server.dataDir, email, 'verify-email');
  await anon.auth.verifyEmail.mutate({ email, code: mail.code ?? '' });
  return { email, name, password };
}

/** A verified account, signed in once. */
export async function signedInUser(
  server: TestServer,
  options: { name?: string; headers?: Record<string, string> } = {},
): Promise<SignedInUser> {
  const account = await verifiedAccount(server, options.name);
  return signInAs(server, account, options.headers);
}

export async function signInAs(
  server: TestServer,
  account: { email: string; name: string; password: string },
  headers: Record<string, string> = {},
): Promise<SignedInUser> {
  const result = sessionOf(
    await server.client(headers).auth.signIn.mutate({
      email: account.email,
      password: account.password,
    }),
  );
  return {
    ...account,
    userId: result.user.id,
    sessionId: result.session.id,
    accessToken: result.accessToken,
    refreshToken: result.refreshToken,
    client: clientWithToken(server, result.accessToken, headers),
  };
}
