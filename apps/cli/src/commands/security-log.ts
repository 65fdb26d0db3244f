import { type Command, Option } from 'commander';
import { runAction } from '../lib/context.js';
import { collectPages, positiveInt } from '../lib/pages.js';
import {
  moreLine,
  SECURITY_EVENT_TYPES,
  type SecurityEvent,
  securityEventsTable,
} from '../lib/security-events.js';

interface SecurityLogOptions {
  type?: SecurityEvent['type'];
  limit: number;
  cursor?: string;
  all: boolean;
}

export function securityLogCommand(program: Command) {
  program
    .command('security-log')
    .description(
      'your security events, newest first: sign-ins, failures, changes (flags highlighted)',
    )
    .addOption(new Option('--type <type>', 'only this kind of event').choices(SECURITY_EVENT_TYPES))
    .option('--limit <n>', 'how many (per page with --all; at most 100)', positiveInt, 20)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--all', 'follow the pages to the end', false)
    .action((opts: SecurityLogOptions, command: Command) =>
      runAction(command, async ({ client, out }) => {
        const api = client();
        const page = await collectPages(
          (cursor) =>
            api.account.securityLog.query({
              limit: opts.limit,
              ...(cursor ? { cursor } : {}),
              ...(opts.type ? { type: opts.type } : {}),
            }),
          opts,
        );
        const again = `cryptweb security-log${opts.type ? ` --type ${opts.type}` : ''}`;
        out.result(page, () =>
          [
            securityEventsTable(page.items, out.paint),
            ...moreLine(again, page.nextCursor, out.paint),
          ].join('\n'),
        );
      }),
    );
}
