/**
 * `quintet notifications list|counts|mark-seen|mark-read <pseudonym>`: a user's aggregated notifications
 * and their seen/read state, read from and written to Redis.
 */
import type { Command } from 'commander';
import { QuintetError } from '../../core/errors.js';
import type { MarkTarget } from '../../processors/feeds/stores.js';
import { checkedPseudonym, pageLimitOption, withFeedReader, type FeedReadOptions } from './feed.js';

interface MarkOptions {
  readonly item?: string;
  readonly upTo?: string;
  readonly keyPrefix?: string;
}

function markTarget(options: MarkOptions): MarkTarget {
  if ((options.item === undefined) === (options.upTo === undefined)) throw new QuintetError('OPTION_INVALID', 'give exactly one of --item <id> and --up-to <time>');
  if (options.item !== undefined) return { itemId: options.item };
  const raw = options.upTo as string;
  const upTo = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(upTo)) throw new QuintetError('OPTION_INVALID', '--up-to must be epoch milliseconds or an ISO-8601 time');
  return { upTo };
}

export function register(program: Command): void {
  const notifications = program.command('notifications').description('Aggregated notifications of a user and their seen/read state (Redis)');

  notifications
    .command('list')
    .description('Print a page of notifications, newest update first, with seen/read flags, as JSON')
    .argument('<pseudonym>', 'the user pseudonym')
    .option('--limit <n>', 'page size (1-200, default 20)')
    .option('--cursor <cursor>', 'cursor printed by the previous page')
    .option('--key-prefix <prefix>', 'Redis key prefix of the deployment (default: redis.keyPrefix)')
    .action(async (user: string, options: FeedReadOptions, command: Command) => {
      const pseudonym = checkedPseudonym(user);
      const limit = pageLimitOption(options.limit);
      const page = await withFeedReader(command, options.keyPrefix, (reader) =>
        reader.notifications(pseudonym, { ...(limit === undefined ? {} : { limit }), ...(options.cursor === undefined ? {} : { cursor: options.cursor }) }),
      );
      process.stdout.write(`${JSON.stringify({ notifications: page.entries, cursor: page.cursor ?? null })}\n`);
    });

  notifications
    .command('counts')
    .description('Print total, unseen and unread counts as JSON')
    .argument('<pseudonym>', 'the user pseudonym')
    .option('--key-prefix <prefix>', 'Redis key prefix of the deployment (default: redis.keyPrefix)')
    .action(async (user: string, options: { keyPrefix?: string }, command: Command) => {
      const counts = await withFeedReader(command, options.keyPrefix, (reader) => reader.notificationCounts(checkedPseudonym(user)));
      process.stdout.write(`${JSON.stringify(counts)}\n`);
    });

  for (const [name, state] of [
    ['mark-seen', 'seen'],
    ['mark-read', 'read (and seen)'],
  ] as const) {
    notifications
      .command(name)
      .description(`Mark one notification (--item) or everything updated up to a time (--up-to) as ${state}`)
      .argument('<pseudonym>', 'the user pseudonym')
      .option('--item <id>', 'notification id')
      .option('--up-to <time>', 'epoch milliseconds or ISO-8601 time')
      .option('--key-prefix <prefix>', 'Redis key prefix of the deployment (default: redis.keyPrefix)')
      .action(async (user: string, options: MarkOptions, command: Command) => {
        const pseudonym = checkedPseudonym(user);
        const target = markTarget(options);
        const counts = await withFeedReader(command, options.keyPrefix, async (reader) => {
          if (name === 'mark-seen') await reader.markSeen(pseudonym, target);
          else await reader.markRead(pseudonym, target);
          return reader.notificationCounts(pseudonym);
        });
        process.stdout.write(`${JSON.stringify(counts)}\n`);
      });
  }
}
