import type { RouterInputs, RouterOutputs } from '@cryptweb/client';
import { type Command, Option } from 'commander';
import type { Painter } from '../lib/colors.js';
import { runAction } from '../lib/context.js';
import { formatBytes, formatDate, formatDuration } from '../lib/format.js';
import { positiveInt } from '../lib/pages.js';
import { renderTable } from '../lib/table.js';
import { claimsOf } from '../lib/tokens.js';

type Transfer = RouterOutputs['transfers']['list']['items'][number];
type ListInput = Extract<RouterInputs['transfers']['list'], object>;
type Direction = NonNullable<ListInput['direction']>;

function transfersTable(items: Transfer[], me: string | undefined, paint: Painter): string {
  if (items.length === 0) return paint.dim('no transfers');
  return renderTable(
    ['when', '', 'with', 'file', 'size', 'took', 'via'],
    items.map((t) => {
      const sent = t.sender.id === me;
      const other = sent ? t.receiver : t.sender;
      return [
        formatDate(t.completedAt),
        sent ? paint.cyan('→ sent') : paint.green('← received'),
        `${other.name} <${other.email}>`,
        t.fileName,
        formatBytes(t.fileSize),
        formatDuration(t.timeElapsed),
        t.transferType,
      ];
    }),
    { align: ['left', 'left', 'left', 'left', 'right', 'right', 'left'], header: paint.dim },
  );
}

export function transfersCommand(program: Command) {
  const transfers = program.command('transfers').description('your completed file transfers');

  transfers
    .command('list', { isDefault: true })
    .description('transfers you sent and received, newest first')
    .addOption(
      new Option('--direction <direction>', 'which transfers')
        .choices(['sent', 'received', 'all'])
        .default('all'),
    )
    .option('--limit <n>', 'how many (per page with --all-pages; at most 100)', positiveInt, 20)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--all-pages', 'follow the pages to the end', false)
    .action(
      (
        opts: { direction: Direction; limit: number; cursor?: string; allPages: boolean },
        command: Command,
      ) =>
        runAction(command, async ({ client, out }) => {
          const api = client();
          const items: Transfer[] = [];
          let cursor = opts.cursor;
          let nextCursor: string | null = null;
          do {
            const page = await api.transfers.list.query({
              direction: opts.direction,
              limit: opts.limit,
              ...(cursor ? { cursor } : {}),
            });
            items.push(...page.items);
            nextCursor = page.nextCursor;
            cursor = nextCursor ?? undefined;
          } while (opts.allPages && nextCursor);
          // The caller's user id (from the token, read after any refresh) tells sent from received.
          const tokens = await api.tokenStore.get();
          const me = tokens ? claimsOf(tokens.accessToken).userId : undefined;
          out.result({ items, nextCursor }, () =>
            [
              transfersTable(items, me, out.paint),
              ...(nextCursor
                ? [
                    out.paint.dim(
                      `more: cryptweb transfers --cursor ${nextCursor} (or --all-pages)`,
                    ),
                  ]
                : []),
            ].join('\n'),
          );
        }),
    );

  transfers
    .command('stats')
    .description('how many transfers and bytes you sent and received')
    .action((_opts: unknown, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const stats = await client().transfers.stats.query();
        const { paint } = out;
        out.result(stats, () =>
          renderTable(
            ['', 'transfers', 'bytes'],
            [
              [paint.cyan('sent'), String(stats.sent.count), formatBytes(stats.sent.bytes)],
              [
                paint.green('received'),
                String(stats.received.count),
                formatBytes(stats.received.bytes),
              ],
            ],
            { align: ['left', 'right', 'right'], header: paint.dim },
          ),
        );
      }),
    );
}
