import WebSocket from 'ws';
import {
  type AppRouter,
  type CryptwebClient,
  createCryptwebClient,
  isMfaRequired,
  type SignedInResult,
  type SignInResult,
  type TokenStore,
  TRPCClientError,
} from '../../src/index.js';
import { mailedCode, type TestServer, uniqueEmail } from './server.js';

export const PASSWORD = 'correct horse battery staple';

/** `ws` for Node 20, which has no global WebSocket. */
export const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;

export interface Account {
  email: string;
  name: string;
  password: string;
}

/** Signs up through the SDK and verifies with the mailed code. */
export async function verifiedAccount(server: TestServer, name = 'Tester'): Promise<Account> {
  const email = uniqueEmail(name.toLowerCase());
  const anon = createCryptwebClient({ url: server.url });
  await anon.auth.signUp.mutate({ name, email, password: PASSWORD });
  await anon.auth.verifyEmail.mutate({ email, code: await mailedCode(server.dataDir, email) });
  return { email, name, password: PASSWORD };
}

/** The session of a sign-in that must not ask for a second factor (a test account without one). */
export function signedIn(result: SignInResult): SignedInResult {
  if (isMfaRequired(result))
    throw new Error('expected a session, the server asked for a second factor');
  return result;
}

export interface SignedIn {
  account: Account;
  client: CryptwebClient;
  sessionId: string;
}

/** A client signed in as `account` (a new verified one by default). */
export async function signedInClient(
  server: TestServer,
  options: { account?: Account; name?: string; tokenStore?: TokenStore } = {},
): Promise<SignedIn> {
  const account = options.account ?? (await verifiedAccount(server, options.name));
  const client = createCryptwebClient({
    url: server.url,
    WebSocket: NodeWebSocket,
    ...(options.tokenStore ? { tokenStore: options.tokenStore } : {}),
  });
  const result = signedIn(
    await client.auth.signIn.mutate({
      email: account.email,
      password: account.password,
    }),
  );
  return { account, client, sessionId: result.session.id };
}

/** Awaits a call that must fail with a TRPCClientError and returns that error. */
export async function clientError(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const outcome = await call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok)
    throw new Error(`expected the call to fail, it returned ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof TRPCClientError)) throw outcome.error;
  return outcome.error as TRPCClientError<AppRouter>;
}
