import { randomBytes } from 'node:crypto';
import { type CryptwebClient, isMfaRequired, memoryTokenStore } from '@cryptweb/client';
import { createClient } from '../lib/context.js';
import { check, equal } from './assert.js';
import type { Mailbox } from './mailbox.js';

/** A person the flows play; `password` follows every change the flows make. */
export interface TestUser {
  name: string;
  email: string;
  password: string;
}

export type UserLabel = 'alice' | 'bob';

/** What every flow gets: the server, its mail, and clients that are closed after the run. */
export interface FlowContext {
  url: string;
  mail: Mailbox;
  /** A client with its own in-memory tokens (one "device"). */
  client(): CryptwebClient;
  /** Fresh, never-registered credentials, unique to this run. */
  newUser(label: string): TestUser;
  /** Signs up and verifies with the mailed code. */
  register(user: TestUser): Promise<void>;
  /** A registered, verified user, made on first use (the sign-up flow provides `alice`). */
  user(label: UserLabel): Promise<TestUser>;
  adopt(label: UserLabel, user: TestUser): void;
  /** A new client signed in as `user`: a new session. */
  signIn(user: TestUser, deviceName?: string): Promise<SignedIn>;
  /** Keeps a session made another way (device authorization) for `session()`. */
  keep(user: TestUser, signedIn: SignedIn): void;
  /**
   * A live session of `user`: one an earlier flow opened, else a new sign-in. Against a server
   * with the default limits every password sign-in counts (`signIn.ip`, 30 per 15 min), so the
   * later flows reuse what is still signed in.
   */
  session(user: TestUser): Promise<SignedIn>;
  /** An address the spawned server's ADMIN_EMAILS names; undefined against another server. */
  adminEmail?: string;
  close(): Promise<void>;
}

export interface SignedIn {
  client: CryptwebClient;
  sessionId: string;
  userId: string;
}

/** A password no common-password list holds. */
export const freshPassword = () => `e2e-${randomBytes(9).toString('base64url')}-Pw`;

export function createFlowContext(
  url: string,
  mail: Mailbox,
  options: { adminEmail?: string | undefined } = {},
): FlowContext {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const clients: CryptwebClient[] = [];
  const users = new Map<UserLabel, Promise<TestUser>>();
  const sessions = new Map<TestUser, SignedIn[]>();

  const context: FlowContext = {
    url,
    mail,
    ...(options.adminEmail ? { adminEmail: options.adminEmail } : {}),
    client() {
      const client = createClient(url, memoryTokenStore());
      clients.push(client);
      return client;
    },
    newUser(label) {
      const name = label.charAt(0).toUpperCase() + label.slice(1);
      return { name, email: `e2e-${runId}-${label}@example.test`, password: freshPassword() };
    },
    async register(user) {
      const client = context.client();
      await client.auth.signUp.mutate(user);
      const mail = await context.mail.next(user.email, 'verify-email');
      check(mail.code, `the verify-email mail to ${user.email} has no code`);
      const result = await client.auth.verifyEmail.mutate({ email: user.email, code: mail.code });
      equal(result.verified, true, 'verifyEmail.verified');
    },
    user(label) {
      let user = users.get(label);
      if (!user) {
        const fresh = context.newUser(label);
        user = context.register(fresh).then(() => fresh);
        // A failed registration is retried by the next flow that needs this user.
        void user.catch(() => users.delete(label));
        users.set(label, user);
      }
      return user;
    },
    adopt(label, user) {
      users.set(label, Promise.resolve(user));
    },
    async signIn(user, deviceName = 'cryptweb e2e') {
      const client = context.client();
      const result = await client.auth.signIn.mutate({
        email: user.email,
        password: user.password,
        device: { name: deviceName },
      });
      check(!isMfaRequired(result), `${user.email} has no second factor, yet signIn asked for one`);
      const signedIn = { client, sessionId: result.session.id, userId: result.user.id };
      context.keep(user, signedIn);
      return signedIn;
    },
    keep(user, signedIn) {
      sessions.set(user, [signedIn, ...(sessions.get(user) ?? [])]);
    },
    async session(user) {
      // Newest first; flows revoke, reset and sign out sessions, so each is asked whether it lives.
      for (const signedIn of sessions.get(user) ?? []) {
        const alive = await signedIn.client.auth.me.query().then(
          () => true,
          () => false,
        );
        if (alive) return signedIn;
      }
      return context.signIn(user, 'cryptweb e2e');
    },
    async close() {
      await Promise.allSettled(clients.map((client) => client.close()));
    },
  };
  return context;
}
