import type { RouterOutputs } from '@cryptweb/client';
import { Argument, type Command, Option } from 'commander';
import type { Painter } from '../lib/colors.js';
import { runAction } from '../lib/context.js';
import { formatDate } from '../lib/format.js';
import { collectPages, positiveInt } from '../lib/pages.js';
import {
  moreLine,
  SECURITY_EVENT_TYPES,
  type SecurityEvent,
  securityEventsTable,
} from '../lib/security-events.js';
import { renderTable } from '../lib/table.js';
import { sessionsTable } from './sessions.js';

type AdminUser = RouterOutputs['admin']['users']['list']['items'][number];
type Stats = RouterOutputs['admin']['stats'];

interface PageOptions {
  limit: number;
  cursor?: string;
  all: boolean;
}

function withPageOptions(command: Command): Command {
  return command
    .option('--limit <n>', 'how many (per page with --all; at most 100)', positiveInt, 50)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--all', 'follow the pages to the end', false);
}

function status(user: AdminUser, paint: Painter): string {
  if (user.disabledAt) return paint.red('disabled');
  return user.emailVerified ? paint.green('active') : paint.yellow('not verified');
}

function usersTable(users: AdminUser[], paint: Painter): string {
  if (users.length === 0) return paint.dim('no users');
  return renderTable(
    ['id', 'email', 'name', 'role', 'status', 'created'],
    users.map((user) => [
      user.id,
      user.email,
      user.name,
      user.role === 'admin' ? paint.cyan('admin') : 'user',
      status(user, paint),
      formatDate(user.createdAt),
    ]),
    { header: paint.dim },
  );
}

function userText(user: AdminUser, paint: Painter): string {
  return [
    `${paint.bold(user.name)} <${user.email}> ${status(user, paint)}`,
    `${paint.dim('id')}        ${user.id}`,
    `${paint.dim('role')}      ${user.role}`,
    `${paint.dim('created')}   ${formatDate(user.createdAt)}`,
    ...(user.disabledAt
      ? [`${paint.dim('disabled')}  ${formatDate(user.disabledAt)}: ${user.disabledReason ?? ''}`]
      : []),
  ].join('\n');
}

function statsText(stats: Stats, paint: Painter): string {
  const rows: [string, number][] = [
    ['users', stats.users],
    ['verified users', stats.verifiedUsers],
    ['active sessions', stats.activeSessions],
    ['peers online', stats.onlinePeers],
    ['transfers (24 h)', stats.transfersLast24h],
  ];
  return renderTable(
    ['', 'count'],
    rows.map(([label, count]) => [paint.dim(label), String(count)]),
    { align: ['left', 'right'], header: paint.dim },
  );
}

/** The admin procedures (SPEC §10): the server checks the role on every call, never the CLI. */
export function adminCommand(program: Command) {
  const admin = program
    .command('admin')
    .description('administration (admins only): users, roles, disabling, sessions, events, stats');

  withPageOptions(admin.command('users'))
    .description('accounts, newest first')
    .option('--query <text>', 'part of an email or a name')
    .action((opts: PageOptions & { query?: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const api = client();
        const page = await collectPages(
          (cursor) =>
            api.admin.users.list.query({
              limit: opts.limit,
              ...(opts.query ? { query: opts.query } : {}),
              ...(cursor ? { cursor } : {}),
            }),
          opts,
        );
        const again = `cryptweb admin users${opts.query ? ` --query ${opts.query}` : ''}`;
        out.result(page, () =>
          [usersTable(page.items, out.paint), ...moreLine(again, page.nextCursor, out.paint)].join(
            '\n',
          ),
        );
      }),
    );

  admin
    .command('user')
    .description('one account: its sessions and recent security events')
    .argument('<id>', 'the user id (see `cryptweb admin users`)')
    .action((id: string, _opts: unknown, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const detail = await client().admin.users.get.query({ userId: id });
        const { paint } = out;
        out.result(detail, () =>
          [
            userText(detail.user, paint),
            '',
            paint.bold('sessions'),
            // `current` is about the caller's own session: never one of another account's.
            sessionsTable(detail.sessions, paint),
            '',
            paint.bold('recent events'),
            securityEventsTable(detail.recentEvents, paint),
          ].join('\n'),
        );
      }),
    );

  admin
    .command('role')
    .description('make an account an admin or a user again (the last admin stays one)')
    .argument('<id>', 'the user id')
    .addArgument(new Argument('<role>', 'the new role').choices(['user', 'admin']))
    .action((id: string, role: AdminUser['role'], _opts: unknown, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const { user } = await client().admin.users.setRole.mutate({ userId: id, role });
        out.result(
          { user },
          () => `${out.paint.green('✔')} ${user.email} is now ${out.paint.bold(user.role)}`,
        );
      }),
    );

  admin
    .command('disable')
    .description('disable an account: its sessions end everywhere and it cannot sign in')
    .argument('<id>', 'the user id')
    .requiredOption('--reason <reason>', 'why (kept with the account, shown to admins)')
    .action((id: string, opts: { reason: string }, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const { user } = await client().admin.users.disable.mutate({
          userId: id,
          reason: opts.reason,
        });
        out.result(
          { user },
          () => `${out.paint.green('✔')} disabled ${user.email}; its sessions were signed out`,
        );
      }),
    );

  admin
    .command('enable')
    .description('let a disabled account sign in again')
    .argument('<id>', 'the user id')
    .action((id: string, _opts: unknown, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const { user } = await client().admin.users.enable.mutate({ userId: id });
        out.result({ user }, () => `${out.paint.green('✔')} enabled ${user.email}`);
      }),
    );

  admin
    .command('revoke-session')
    .description("end anyone's session (see `cryptweb admin user ID`)")
    .argument('<session-id>', 'the session id')
    .action((sessionId: string, _opts: unknown, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const result = await client().admin.sessions.revoke.mutate({ sessionId });
        out.result(result, () => `${out.paint.green('✔')} revoked session ${result.sessionId}`);
      }),
    );

  withPageOptions(admin.command('events'))
    .description("every account's security events, newest first")
    .option('--user <id>', 'only this account')
    .addOption(new Option('--type <type>', 'only this kind of event').choices(SECURITY_EVENT_TYPES))
    .option('--flagged', 'only flagged events (new device, new network, many failures, reuse)')
    .action(
      (
        opts: PageOptions & { user?: string; type?: SecurityEvent['type']; flagged?: boolean },
        command: Command,
      ) =>
        runAction(command, async ({ client, out }) => {
          const api = client();
          const filter = {
            ...(opts.user ? { userId: opts.user } : {}),
            ...(opts.type ? { type: opts.type } : {}),
            ...(opts.flagged ? { flagged: true } : {}),
          };
          const page = await collectPages(
            (cursor) =>
              api.admin.securityEvents.list.query({
                ...filter,
                limit: opts.limit,
                ...(cursor ? { cursor } : {}),
              }),
            opts,
          );
          const again = [
            'cryptweb admin events',
            ...(opts.user ? [`--user ${opts.user}`] : []),
            ...(opts.type ? [`--type ${opts.type}`] : []),
            ...(opts.flagged ? ['--flagged'] : []),
          ].join(' ');
          out.result(page, () =>
            [
              securityEventsTable(page.items, out.paint),
              ...moreLine(again, page.nextCursor, out.paint),
            ].join('\n'),
          );
        }),
    );

  admin
    .command('stats')
    .description('users, sessions, peers online, transfers in the last 24 hours')
    .action((_opts: unknown, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const stats = await client().admin.stats.query();
        out.result(stats, () => statsText(stats, out.paint));
      }),
    );
}
