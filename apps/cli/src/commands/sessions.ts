import type { RouterOutputs } from '@cryptweb/client';
import type { Command } from 'commander';
import type { Painter } from '../lib/colors.js';
import { runAction } from '../lib/context.js';
import { formatDate } from '../lib/format.js';
import { renderTable } from '../lib/table.js';
import { claimsOf } from '../lib/tokens.js';

type Session = RouterOutputs['sessions']['list'][number];

function deviceLabel(session: Session): string {
  const { name, browser, os } = session.device;
  return name ?? ([browser, os].filter(Boolean).join(' on ') || 'unknown device');
}

export function sessionsTable(sessions: Session[], paint: Painter): string {
  if (sessions.length === 0) return paint.dim('no live sessions');
  return renderTable(
    ['', 'id', 'device', 'ip', 'signed in', 'last used', 'expires'],
    sessions.map((session) => [
      session.current ? paint.green('●') : ' ',
      session.current ? paint.bold(session.id) : session.id,
      deviceLabel(session),
      session.ip ?? '',
      formatDate(session.createdAt),
      formatDate(session.lastUsedAt),
      formatDate(session.expiresAt),
    ]),
    { header: paint.dim },
  );
}

export function sessionsCommand(program: Command) {
  const sessions = program
    .command('sessions')
    .description('list and revoke your sessions (one per signed-in device)');

  sessions
    .command('list', { isDefault: true })
    .description('your live sessions, newest first (● = this one)')
    .action((_opts: unknown, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const list = await client().sessions.list.query();
        out.result(list, () => sessionsTable(list, out.paint));
      }),
    );

  sessions
    .command('revoke')
    .description('revoke one session; its device is signed out at once')
    .argument('<id>', 'the session id (see `cryptweb sessions`)')
    .action((id: string, _opts: unknown, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const api = client();
        const tokens = await api.tokenStore.get();
        const result = await api.sessions.revoke.mutate({ sessionId: id });
        const wasCurrent =
          tokens !== null && claimsOf(tokens.accessToken).sessionId === result.sessionId;
        if (wasCurrent) await api.tokenStore.set(null);
        out.result({ ...result, signedOut: wasCurrent }, () =>
          [
            `${out.paint.green('✔')} revoked session ${result.sessionId}`,
            ...(wasCurrent ? ['  that was this session: you are signed out'] : []),
          ].join('\n'),
        );
      }),
    );

  sessions
    .command('revoke-all')
    .description('revoke all your sessions (this one too, unless --keep-current)')
    .option('--keep-current', 'keep this session signed in', false)
    .action((opts: { keepCurrent: boolean }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const api = client();
        const result = await api.sessions.revokeAll.mutate({ includeCurrent: !opts.keepCurrent });
        if (!opts.keepCurrent) await api.tokenStore.set(null);
        out.result({ ...result, signedOut: !opts.keepCurrent }, () =>
          [
            `${out.paint.green('✔')} revoked ${result.revoked.length} session${
              result.revoked.length === 1 ? '' : 's'
            }`,
            ...(opts.keepCurrent ? [] : ['  including this one: you are signed out']),
          ].join('\n'),
        );
      }),
    );
}
