/**
 * `quintet migrate`: creates the ClickHouse database and applies the versioned migrations of
 * deploy/clickhouse/migrations (idempotent; see connectors/clickhouse/migrations.ts).
 * `quintet retention [--hot-days N] [--dry-run]`: the hot tier of the analytics tables (N defaults to
 * `clickhouse.hotTierDays`): TTL where the server has it, else drops the monthly partitions entirely
 * older than N days (ClickHouse 18.16). `quintet migrate` sets that TTL too on servers that have it.
 */
import type { Command } from 'commander';
import { QuintetError } from '../../core/errors.js';
import { migrate } from '../../connectors/clickhouse/migrations.js';
import { applyRetention } from '../../connectors/clickhouse/retention.js';
import { ClickHouseServer, connectionOptionsFrom } from '../../connectors/clickhouse/server.js';
import { configFor } from '../context.js';

function positiveInteger(raw: string, option: string): number {
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) throw new QuintetError('OPTION_INVALID', `${option} must be a positive integer`);
  return Number(raw);
}

export function register(program: Command): void {
  program
    .command('migrate')
    .description('Create the ClickHouse database and apply pending migrations (idempotent); prints what ran')
    .option('--database <name>', 'database (default: clickhouse.database)')
    .action(async (options: { database?: string }, command: Command) => {
      const config = configFor(command);
      const report = await migrate(connectionOptionsFrom(config, options.database === undefined ? {} : { database: options.database }), undefined, {
        hotTierDays: config.clickhouse.hotTierDays,
      });
      const summary = {
        database: report.database,
        server: report.serverVersion,
        applied: report.toApply.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`),
        alreadyApplied: report.alreadyApplied.length,
        waitingForCapability: report.skipped.map((s) => ({ migration: `${String(s.migration.version).padStart(4, '0')}_${s.migration.name}`, missing: s.missing })),
        hotTier: report.hotTier,
      };
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    });

  program
    .command('retention')
    .description('Apply the analytics hot tier: TTL on servers that have it, else drop monthly partitions older than --hot-days')
    .option('--hot-days <n>', 'days kept in ClickHouse (default: clickhouse.hotTierDays)')
    .option('--dry-run', 'print what would be dropped without dropping it')
    .option('--database <name>', 'database (default: clickhouse.database)')
    .action(async (options: { hotDays?: string; dryRun?: boolean; database?: string }, command: Command) => {
      const config = configFor(command);
      const server = ClickHouseServer.connect(connectionOptionsFrom(config, options.database === undefined ? {} : { database: options.database }));
      try {
        const hotDays = options.hotDays === undefined ? config.clickhouse.hotTierDays : positiveInteger(options.hotDays, '--hot-days');
        const report = await applyRetention(server, { hotDays, dryRun: options.dryRun === true });
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } finally {
        await server.close();
      }
    });
}
