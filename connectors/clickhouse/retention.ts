/**
 * Hot-tier retention of the analytics tables (design Part 6.2: hot tier, default 30 days).
 *
 * - Servers with TTL (19.6+): `ALTER TABLE … MODIFY TTL <time column> + INTERVAL N DAY` on every
 *   analytics table; the server deletes expired rows during merges. Re-running it with the same N is
 *   a no-op; with another N it changes the policy.
 * - ClickHouse 18.16 has no TTL: retention drops whole monthly partitions whose last day is older
 *   than N days. Rows are therefore kept between N and N + 31 days, never fewer than N. Run
 *   `quintet retention` daily (cron, or the sink host's maintenance); it is idempotent.
 *
 * The cold tier (the compliance copy) is the canonical log's archive (`quintet archive`), not these tables.
 */
import { QuintetError } from '../../core/errors.js';
import { ClickHouseServer } from './server.js';
import { sqlIdentifier, sqlLiteral } from './sql-literal.js';

/** Every table of the analytics read model, with the column its age is measured by. */
export const RETAINED_TABLES: readonly { readonly table: string; readonly timeColumn: string }[] = [
  { table: 'events', timeColumn: 'event_time' },
  { table: 'events_per_minute', timeColumn: 'bucket' },
  { table: 'daily_actors', timeColumn: 'bucket' },
];

export const DEFAULT_HOT_TIER_DAYS = 30;
const DAY_MS = 86_400_000;

export interface PartitionRef {
  readonly table: string;
  /** `toYYYYMM` partition id, e.g. `202611`. */
  readonly partition: string;
}

/** First instant after the month of a `YYYYMM` partition, in epoch ms (UTC). */
export function monthEndMs(partition: string): number {
  if (!/^\d{6}$/.test(partition)) throw new QuintetError('RETENTION_PARTITION_INVALID', `partition id ${partition.slice(0, 16)} is not YYYYMM`);
  const year = Number(partition.slice(0, 4));
  const month = Number(partition.slice(4, 6));
  return Date.UTC(year, month, 1);
}

/** Partitions entirely older than the hot tier: every row in them is older than `hotDays`. */
export function partitionsToDrop(partitions: readonly PartitionRef[], nowMs: number, hotDays: number): PartitionRef[] {
  const cutoff = nowMs - hotDays * DAY_MS;
  return partitions.filter((p) => monthEndMs(p.partition) <= cutoff);
}

export interface RetentionReport {
  readonly mode: 'ttl' | 'drop-partitions';
  readonly hotDays: number;
  readonly dropped: readonly PartitionRef[];
  readonly dryRun: boolean;
}

export async function applyRetention(
  server: ClickHouseServer,
  options: { hotDays?: number; nowMs?: number; dryRun?: boolean } = {},
): Promise<RetentionReport> {
  const hotDays = options.hotDays ?? DEFAULT_HOT_TIER_DAYS;
  if (!Number.isSafeInteger(hotDays) || hotDays < 1) throw new QuintetError('RETENTION_INVALID', 'hot-tier days must be a positive integer');
  const dryRun = options.dryRun ?? false;
  const { capabilities } = await server.info();
  if (capabilities.ttl) {
    if (!dryRun) {
      for (const { table, timeColumn } of RETAINED_TABLES) {
        await server.command(`ALTER TABLE ${sqlIdentifier(table)} MODIFY TTL ${sqlIdentifier(timeColumn)} + toIntervalDay(${sqlLiteral(hotDays)})`);
      }
    }
    return { mode: 'ttl', hotDays, dropped: [], dryRun };
  }
  const partitions = await server.rows<PartitionRef>(
    'SELECT DISTINCT table, partition FROM system.parts WHERE database = {db:String} AND active AND has({tables:Array(String)}, table) ORDER BY table, partition',
    { db: server.database, tables: RETAINED_TABLES.map((t) => t.table) },
  );
  const dropped = partitionsToDrop(partitions, options.nowMs ?? Date.now(), hotDays);
  if (!dryRun) {
    for (const { table, partition } of dropped) {
      monthEndMs(partition); // validated as YYYYMM digits before it becomes a literal
      await server.command(`ALTER TABLE ${sqlIdentifier(table)} DROP PARTITION ${sqlLiteral(Number(partition))}`);
    }
  }
  return { mode: 'drop-partitions', hotDays, dropped, dryRun };
}
