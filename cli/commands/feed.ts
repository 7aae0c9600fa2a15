/**
 * `quintet feed <pseudonym>`: prints one page of a user's home feed (inbox merged with followed
 * celebrities) or, with --activity, their own activity feed, as JSON, read from Redis.
 */
import type { Command } from 'commander';
import { QuintetError } from '../../core/errors.js';
import { createFeedRedis } from '../../connectors/redis/feed-client.js';
import { FeedReader } from '../../connectors/redis/feed-reader.js';
import { isFeedIdentifier } from '../../connectors/redis/keys.js';
import { configFor } from '../context.js';

export interface FeedReadOptions {
  readonly limit?: string;
  readonly cursor?: string;
  readonly keyPrefix?: string;
}

export function pageLimitOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new QuintetError('OPTION_INVALID', '--limit must be an integer from 1 to 200');
  return limit;
}

export function checkedPseudonym(value: string): string {
  if (!isFeedIdentifier(value)) throw new QuintetError('OPTION_INVALID', 'the user must be a pseudonym (e.g. ps_...), not a raw identifier');
  return value;
}

/** Opens a reader for one command and closes its connection afterwards. */
export async function withFeedReader<T>(command: Command, keyPrefix: string | undefined, use: (reader: FeedReader) => Promise<T>): Promise<T> {
  const config = configFor(command);
  const redis = createFeedRedis(config, { connectionName: 'quintet-cli-feeds' });
  try {
    return await use(FeedReader.redis(redis, { keyPrefix: keyPrefix ?? config.redis.keyPrefix }));
  } finally {
    redis.disconnect();
  }
}

export function register(program: Command): void {
  program
    .command('feed')
    .description('Print a page of a user home feed (or --activity: their own activity) from Redis, as JSON')
    .argument('<pseudonym>', 'the user pseudonym')
    .option('--activity', 'the user own "my activity" feed instead of the home feed')
    .option('--limit <n>', 'page size (1-200, default 20)')
    .option('--cursor <cursor>', 'cursor printed by the previous page')
    .option('--key-prefix <prefix>', 'Redis key prefix of the deployment (default: redis.keyPrefix)')
    .action(async (user: string, options: FeedReadOptions & { activity?: boolean }, command: Command) => {
      const pseudonym = checkedPseudonym(user);
      const limit = pageLimitOption(options.limit);
      const page = await withFeedReader(command, options.keyPrefix, (reader) => {
        const paging = { ...(limit === undefined ? {} : { limit }), ...(options.cursor === undefined ? {} : { cursor: options.cursor }) };
        return options.activity === true ? reader.activity(pseudonym, paging) : reader.homeFeed(pseudonym, paging);
      });
      process.stdout.write(`${JSON.stringify({ items: page.entries.map((e) => e.item), cursor: page.cursor ?? null })}\n`);
    });
}
