/**
 * The ClickHouse side of the analytics read model: the batch writer used by the sink and the
 * dashboard backend used by DashboardRunner.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYTICS_COLUMNS } from '../../processors/analytics/analytics-row.js';
import type { BatchWriter } from '../../processors/analytics/batching-sink.js';
import type { BoundParameters, DashboardBackend, DashboardDefinition } from '../../processors/analytics/dashboards.js';
import { deployPath } from './migrations.js';
import { isRetryableClickHouseError, type ClickHouseServer } from './server.js';

export const EVENTS_TABLE = 'events';

/**
 * Writes batches of pre-encoded JSONEachRow lines (see encodeJsonEachRow) into `events`.
 * On servers with `insert_deduplication_token` the token is the hash of the batch's event lines, so an
 * identical retried batch is dropped by the server too (tables created with a deduplication window);
 * on every server, ReplacingMergeTree and the dashboards' uniqExact/FINAL make redelivery harmless.
 */
export class ClickHouseEventWriter implements BatchWriter<string> {
  readonly name = 'clickhouse';
  readonly #server: ClickHouseServer;
  readonly #table: string;

  constructor(server: ClickHouseServer, table: string = EVENTS_TABLE) {
    this.#server = server;
    this.#table = table;
  }

  async write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const { capabilities } = await this.#server.info();
    const settings = capabilities.insertDeduplicationToken
      ? { insert_deduplication_token: createHash('sha256').update(lines.join('\n')).digest('hex') }
      : {};
    await this.#server.insertJsonLines(this.#table, ANALYTICS_COLUMNS, lines, settings as Record<string, string>);
  }

  isRetryable(error: unknown): boolean {
    return isRetryableClickHouseError(error);
  }
}

/** Reads `<name>.<backend>.sql` from deploy/clickhouse/dashboards (cached: the files do not change at run time). */
export function dashboardSql(name: string, backend: 'clickhouse' | 'duckdb'): string {
  const key = `${name}.${backend}`;
  let sql = SQL_CACHE.get(key);
  if (sql === undefined) {
    sql = readFileSync(join(deployPath('clickhouse', 'dashboards'), `${key}.sql`), 'utf8');
    SQL_CACHE.set(key, sql);
  }
  return sql;
}
const SQL_CACHE = new Map<string, string>();

export class ClickHouseDashboardBackend implements DashboardBackend {
  readonly name = 'clickhouse';
  readonly #server: ClickHouseServer;

  constructor(server: ClickHouseServer) {
    this.#server = server;
  }

  async query(dashboard: DashboardDefinition, parameters: BoundParameters): Promise<readonly Record<string, unknown>[]> {
    return this.#server.rows<Record<string, unknown>>(dashboardSql(dashboard.name, 'clickhouse'), parameters);
  }
}
