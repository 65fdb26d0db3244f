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
  close(): Promise<void>;
}

export interface SignedIn {
  client: CryptwebClient;
  sessionId: string;
  userId: string;
}

/** A password no common-password list holds. */
export const freshPassword = () => `e2e-${randomBytes(9).toString('base64url')}-Pw`;

export function createFlowContext(url: string, mail: Mailbox): FlowContext {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const clients: CryptwebClient[] = [];
  const users = new Map<UserLabel, Promise<TestUser>>();

  const context: FlowContext = {
    url,
    mail,
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
      return { client, sessionId: result.session.id, userId: result.user.id };
    },
    async close() {
      await Promise.allSettled(clients.map((client) => client.close()));
    },
  };
  return context;
}
