import { secondsLeft } from '@cryptweb/client';
import type { Command } from 'commander';
import { runAction } from '../lib/context.js';
import { CliError } from '../lib/errors.js';

export function logoutCommand(program: Command) {
  program
    .command('logout')
    .description('sign out: this session is revoked and the local tokens removed')
    .action((_opts: unknown, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const api = client();
        const tokens = await api.tokenStore.get();
        if (!tokens) throw new CliError('not signed in', 'sign in with `cryptweb login`');
        // signOut is never retried after a refresh by the SDK, so refresh an expired token first.
        if (secondsLeft(tokens.accessToken) < 30) await api.refreshTokens();
        try {
          const result = await api.auth.signOut.mutate();
          out.result(
            { signedOut: true, sessionId: result.sessionId },
            () =>
              `${out.paint.green('✔')} signed out ${out.paint.dim(`(session ${result.sessionId})`)}`,
          );
        } catch (error) {
          if (!isUnauthorized(error)) throw error;
          // The session already ended on the server (revoked, expired): forget it here too.
          await api.tokenStore.set(null);
          out.result(
            { signedOut: true, sessionId: null },
            () => `${out.paint.green('✔')} signed out (the session had already ended)`,
          );
        }
      }),
    );
}

function isUnauthorized(error: unknown): boolean {
  const data = (error as { data?: { code?: unknown } } | undefined)?.data;
  return data?.code === 'UNAUTHORIZED';
}
