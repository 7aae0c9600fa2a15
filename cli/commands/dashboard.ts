/**
 * `quintet dashboard [NAME] [--from T] [--to T] [--action A] [--limit N] [--json] [--embedded [FILE]]`:
 * runs a named analytics dashboard on ClickHouse (Kafka mode) or on the embedded DuckDB store, and
 * prints a table or JSON. Without NAME it lists the dashboards and their parameters.
 *
 * `openDashboardRunner` is the entry point the HTTP API uses to serve the same dashboards as JSON.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import type { QuintetConfig } from '../../core/config.js';
import { ClickHouseDashboardBackend } from '../../connectors/clickhouse/analytics-store.js';
import { ClickHouseServer, connectionOptionsFrom } from '../../connectors/clickhouse/server.js';
import { DuckDbAnalyticsStore } from '../../connectors/duckdb/analytics-store.js';
import { DASHBOARDS, DashboardRunner, formatTable } from '../../processors/analytics/dashboards.js';
import { configFor } from '../context.js';

export interface OpenedDashboardRunner {
  readonly runner: DashboardRunner;
  close(): Promise<void>;
}

/** Default file of the embedded analytics store. */
export function embeddedAnalyticsPath(config: QuintetConfig): string {
  return join(config.dataDir, 'analytics.duckdb');
}

/**
 * A DashboardRunner on ClickHouse (`clickhouse`, the default) or on the embedded DuckDB store
 * (`embedded`, file `<dataDir>/analytics.duckdb` unless given). Call `close()` when done.
 */
export async function openDashboardRunner(config: QuintetConfig, options: { mode?: 'clickhouse' | 'embedded'; duckdbPath?: string } = {}): Promise<OpenedDashboardRunner> {
  if ((options.mode ?? 'clickhouse') === 'embedded') {
    const store = await DuckDbAnalyticsStore.open(options.duckdbPath ?? embeddedAnalyticsPath(config));
    return { runner: new DashboardRunner(store), close: async () => store.close() };
  }
  const server = ClickHouseServer.connect(connectionOptionsFrom(config));
  return { runner: new DashboardRunner(new ClickHouseDashboardBackend(server)), close: () => server.close() };
}

interface DashboardOptions {
  from?: string;
  to?: string;
  action?: string;
  limit?: string;
  likeAction?: string;
  unlikeAction?: string;
  json?: boolean;
  embedded?: string | boolean;
}

export function register(program: Command): void {
  program
    .command('dashboard')
    .argument('[name]', `dashboard: ${DASHBOARDS.map((d) => d.name).join(', ')}`)
    .description('Run a named analytics dashboard (ClickHouse, or the embedded DuckDB store) and print a table or JSON')
    .option('--from <time>', 'start, inclusive: ISO-8601 or now-<n><s|m|h|d>')
    .option('--to <time>', 'end, exclusive: ISO-8601 or now')
    .option('--action <name>', 'action name (domain.entity.action)')
    .option('--limit <n>', 'most rows')
    .option('--like-action <name>', 'likes-per-post: action name of a like')
    .option('--unlike-action <name>', 'likes-per-post: action name of an unlike')
    .option('--json', 'print JSON instead of a table')
    .option('--embedded [file]', 'query the embedded DuckDB store (default <dataDir>/analytics.duckdb)')
    .action(async (name: string | undefined, options: DashboardOptions, command: Command) => {
      if (name === undefined) {
        for (const d of DASHBOARDS) {
          const parameters = d.parameters.map((p) => `--${p.name.replace(/_/g, '-')}${p.defaultValue === undefined ? ' (required)' : ''}`).join(' ');
          process.stdout.write(`${d.name.padEnd(22)} ${d.title}\n${' '.repeat(23)}${parameters}\n`);
        }
        return;
      }
      const config = configFor(command);
      const opened = await openDashboardRunner(config, {
        mode: options.embedded === undefined ? 'clickhouse' : 'embedded',
        ...(typeof options.embedded === 'string' ? { duckdbPath: options.embedded } : {}),
      });
      try {
        const given: Record<string, string | undefined> = {
          from: options.from,
          to: options.to,
          action: options.action,
          limit: options.limit,
          like_action: options.likeAction,
          unlike_action: options.unlikeAction,
        };
        // Every option given goes to the runner, which refuses parameters the dashboard does not have.
        const params = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
        const result = await opened.runner.run(name, params);
        process.stdout.write(options.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${result.title} (${result.backend})\n${formatTable(result)}\n`);
      } finally {
        await opened.close();
      }
    });
}
